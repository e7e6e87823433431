package engine

import "testing"

func TestChooseF16(t *testing.T) {
	for _, c := range []struct {
		w        Weights
		cpu      bool
		f32Bytes uint64
		want     bool
	}{
		{WeightsAuto, false, 1 << 20, true},         // a GPU keeps half the memory
		{WeightsAuto, true, 1 << 20, false},         // a small model on SwiftShader widens
		{WeightsAuto, true, AutoF32Limit, false},    // the limit is inclusive
		{WeightsAuto, true, AutoF32Limit + 1, true}, // Stable Diffusion stays f16 everywhere
		{WeightsF16, true, 1 << 20, true},
		{WeightsF32, false, 4 << 30, false},
	} {
		got, err := chooseF16(c.w, c.cpu, c.f32Bytes)
		if err != nil || got != c.want {
			t.Errorf("chooseF16(%q, cpu=%v, %d) = %v, %v; want %v", c.w, c.cpu, c.f32Bytes, got, err, c.want)
		}
	}
	if _, err := chooseF16("bf16", true, 1); err == nil {
		t.Error("an unknown precision was accepted")
	}
}
