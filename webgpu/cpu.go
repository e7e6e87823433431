package webgpu

import "strings"

// cpuAdapterNames are words in the descriptions of adapters that run shaders on the CPU:
// Chromium's SwiftShader, Mesa's llvmpipe (Vulkan: lavapipe) and Direct3D's WARP.
var cpuAdapterNames = []string{"swiftshader", "llvmpipe", "lavapipe", "basic render driver"}

// IsCPUAdapter reports whether an adapter runs shaders on the CPU, from its description
// (vendor, architecture, description) or the fallback flag WebGPU sets on such adapters. The
// engine then picks the kernels that suit a CPU (wgsl.ForCPU).
func IsCPUAdapter(info string, fallback bool) bool {
	if fallback {
		return true
	}
	s := strings.ToLower(info)
	for _, name := range cpuAdapterNames {
		if strings.Contains(s, name) {
			return true
		}
	}
	return false
}
