package e2e

import (
	"testing"
	"time"
)

// TestKernels runs webgpu/compute's kernel tests (every wgsl family against its plain-Go
// reference, edge shapes) inside Chromium on SwiftShader.
func TestKernels(t *testing.T) {
	runWasmTests(t, "./webgpu/compute", 10*time.Minute)
}

// TestPackagesAsWasm runs the tests of the pure-Go kernel descriptions and of the bindings'
// portable parts compiled to wasm, in the browser: the same packages tested natively and as wasm.
func TestPackagesAsWasm(t *testing.T) {
	for _, pkg := range []string{"./wgsl", "./webgpu"} {
		t.Run(pkg, func(t *testing.T) { runWasmTests(t, pkg, 5*time.Minute) })
	}
}
