package engine

import (
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

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

// TestF16WeightsModels checks the choice on real descriptions: the default shapes model keeps f32
// weights on a CPU adapter, Stable Diffusion 2.1-base stays f16 everywhere.
func TestF16WeightsModels(t *testing.T) {
	for _, c := range []struct {
		name, dir string
		cpuF16    bool
	}{
		{"default", "../../weights/default", false},
		{"sd21base", fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"), true},
	} {
		f, err := weights.Open(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.Describe()
		if err != nil {
			t.Fatal(err)
		}
		for _, cpu := range []bool{false, true} {
			got, err := F16Weights(WeightsAuto, cpu, m)
			if want := !cpu || c.cpuF16; err != nil || got != want {
				t.Errorf("%s, cpu adapter %v: f16 %v (%v), want %v", c.name, cpu, got, err, want)
			}
		}
	}
}
