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
