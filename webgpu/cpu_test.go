package webgpu

import "testing"

func TestIsCPUAdapter(t *testing.T) {
	for _, c := range []struct {
		info     string
		fallback bool
		want     bool
	}{
		{"google swiftshader ", false, true},
		{"mesa llvmpipe llvmpipe (LLVM 19.1.7, 256 bits)", false, true},
		{"Microsoft Basic Render Driver", false, true},
		{"nvidia ampere NVIDIA GeForce RTX 3060", false, false},
		{"intel gen-12lp Intel(R) Iris(R) Xe Graphics", false, false},
		{"", true, true},
		{"", false, false},
	} {
		if got := IsCPUAdapter(c.info, c.fallback); got != c.want {
			t.Errorf("IsCPUAdapter(%q, %v) = %v, want %v", c.info, c.fallback, got, c.want)
		}
	}
}
