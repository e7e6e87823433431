package webgpu

import "fmt"

// Limits are the WebGPU limits the engine depends on.
type Limits struct {
	MaxBufferSize                     uint64
	MaxStorageBufferBindingSize       uint64
	MaxUniformBufferBindingSize       uint64
	MaxComputeWorkgroupStorageSize    uint64
	MaxComputeInvocationsPerWorkgroup uint64
	MaxComputeWorkgroupSizeX          uint64
	MaxComputeWorkgroupSizeY          uint64
	MaxComputeWorkgroupsPerDimension  uint64
	MaxStorageBuffersPerShaderStage   uint64
	MaxBindGroups                     uint64
	MinStorageBufferOffsetAlignment   uint64
	MinUniformBufferOffsetAlignment   uint64
}

// Names pairs each field with its WebGPU name (the keys of GPUSupportedLimits / requiredLimits).
func (l *Limits) Names() []struct {
	Name string
	V    *uint64
} {
	return []struct {
		Name string
		V    *uint64
	}{
		{"maxBufferSize", &l.MaxBufferSize},
		{"maxStorageBufferBindingSize", &l.MaxStorageBufferBindingSize},
		{"maxUniformBufferBindingSize", &l.MaxUniformBufferBindingSize},
		{"maxComputeWorkgroupStorageSize", &l.MaxComputeWorkgroupStorageSize},
		{"maxComputeInvocationsPerWorkgroup", &l.MaxComputeInvocationsPerWorkgroup},
		{"maxComputeWorkgroupSizeX", &l.MaxComputeWorkgroupSizeX},
		{"maxComputeWorkgroupSizeY", &l.MaxComputeWorkgroupSizeY},
		{"maxComputeWorkgroupsPerDimension", &l.MaxComputeWorkgroupsPerDimension},
		{"maxStorageBuffersPerShaderStage", &l.MaxStorageBuffersPerShaderStage},
		{"maxBindGroups", &l.MaxBindGroups},
		{"minStorageBufferOffsetAlignment", &l.MinStorageBufferOffsetAlignment},
		{"minUniformBufferOffsetAlignment", &l.MinUniformBufferOffsetAlignment},
	}
}

// isMin reports limits where smaller is better (alignments).
func isMin(name string) bool {
	return name == "minStorageBufferOffsetAlignment" || name == "minUniformBufferOffsetAlignment"
}

// Default is WebGPU's guaranteed limits: what any adapter supports.
func Default() Limits {
	return Limits{
		MaxBufferSize:                     256 << 20,
		MaxStorageBufferBindingSize:       128 << 20,
		MaxUniformBufferBindingSize:       64 << 10,
		MaxComputeWorkgroupStorageSize:    16 << 10,
		MaxComputeInvocationsPerWorkgroup: 256,
		MaxComputeWorkgroupSizeX:          256,
		MaxComputeWorkgroupSizeY:          256,
		MaxComputeWorkgroupsPerDimension:  65535,
		MaxStorageBuffersPerShaderStage:   8,
		MaxBindGroups:                     4,
		MinStorageBufferOffsetAlignment:   256,
		MinUniformBufferOffsetAlignment:   256,
	}
}

// Kernels is what the kernels of wgsl/ need from any device beyond the defaults: nothing, by
// design (16 KiB workgroup memory, 256 invocations, at most 7 storage buffers per dispatch).
func Kernels() Limits { return Default() }

// Check returns a *LimitError for the first limit of have that does not satisfy need (zero
// fields of need are not checked); what names the consumer for the message.
func (have Limits) Check(need Limits, what string) error {
	hs, ns := have.Names(), need.Names()
	for i, n := range ns {
		if *n.V == 0 {
			continue
		}
		h := *hs[i].V
		if isMin(n.Name) && h > *n.V || !isMin(n.Name) && h < *n.V {
			return &LimitError{Limit: n.Name, What: what, Want: *n.V, Have: h}
		}
	}
	return nil
}

// Binding is the largest buffer a kernel can bind: min(maxBufferSize, maxStorageBufferBindingSize).
func (have Limits) Binding() uint64 { return min(have.MaxBufferSize, have.MaxStorageBufferBindingSize) }

func (l Limits) String() string {
	return fmt.Sprintf("buffer %d MiB, storage binding %d MiB, workgroup storage %d KiB, %d storage buffers/stage",
		l.MaxBufferSize>>20, l.MaxStorageBufferBindingSize>>20, l.MaxComputeWorkgroupStorageSize>>10,
		l.MaxStorageBuffersPerShaderStage)
}
