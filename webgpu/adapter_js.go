//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"syscall/js"
)

// Adapter is a GPUAdapter with its limits, features and description.
type Adapter struct {
	v        js.Value
	Limits   Limits
	Features map[string]bool
	Info     string // vendor, architecture, description
	CPU      bool   // runs shaders on the CPU (IsCPUAdapter)
}

// RequestAdapter asks navigator.gpu for the high-performance adapter.
func RequestAdapter(ctx context.Context) (*Adapter, error) {
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return nil, ErrNoWebGPU
	}
	opts := js.ValueOf(map[string]any{"powerPreference": "high-performance"})
	v, err := Await(ctx, gpu.Call("requestAdapter", opts))
	if err != nil {
		return nil, fmt.Errorf("webgpu: request adapter: %w", err)
	}
	if !v.Truthy() {
		return nil, ErrNoAdapter
	}
	a := &Adapter{v: v, Limits: readLimits(v.Get("limits")), Features: readFeatures(v.Get("features"))}
	// isFallbackAdapter moved from the adapter to its info in newer browsers.
	fallback := v.Get("isFallbackAdapter").Truthy()
	if info := v.Get("info"); info.Truthy() {
		a.Info = fmt.Sprintf("%s %s %s", str(info.Get("vendor")), str(info.Get("architecture")), str(info.Get("description")))
		fallback = fallback || info.Get("isFallbackAdapter").Truthy()
	}
	a.CPU = IsCPUAdapter(a.Info, fallback)
	return a, nil
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func readLimits(v js.Value) Limits {
	var l Limits
	for _, n := range l.Names() {
		if x := v.Get(n.Name); x.Type() == js.TypeNumber {
			*n.V = uint64(x.Float())
		}
	}
	return l
}

func readFeatures(v js.Value) map[string]bool {
	out := map[string]bool{}
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		out[args[0].String()] = true
		return nil
	})
	v.Call("forEach", fn)
	fn.Release()
	return out
}

// DeviceOptions say what the device must support.
type DeviceOptions struct {
	// Need are minimum limits; a LimitError names the first the adapter cannot meet.
	Need Limits
	// What names the consumer in limit errors.
	What string
	// NoF16 leaves shader-f16 off even where the adapter has it (to test the unpack path).
	NoF16 bool
}

// RequestDevice requests a device with the adapter's own maximum buffer, binding and workgroup
// limits (not WebGPU's small defaults), shader-f16 and timestamp-query where the adapter has them.
func (a *Adapter) RequestDevice(ctx context.Context, opt DeviceOptions) (*Device, error) {
	if err := a.Limits.Check(opt.Need, opt.What); err != nil {
		return nil, err
	}
	req := map[string]any{}
	for _, n := range a.Limits.Names() {
		if *n.V != 0 {
			req[n.Name] = float64(*n.V)
		}
	}
	var feats []any
	for _, f := range []string{"shader-f16", "timestamp-query"} {
		if a.Features[f] && !(f == "shader-f16" && opt.NoF16) {
			feats = append(feats, f)
		}
	}
	desc := js.ValueOf(map[string]any{"requiredLimits": req, "requiredFeatures": feats, "label": "cones"})
	v, err := Await(ctx, a.v.Call("requestDevice", desc))
	if err != nil {
		return nil, fmt.Errorf("webgpu: request device: %w", err)
	}
	d := newDevice(v)
	d.Adapter, d.CPU = a.Info, a.CPU
	return d, nil
}
