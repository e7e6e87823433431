package subject

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// sd21Base describes Stable Diffusion 2.1-base from its real configs (no weights needed).
func sd21Base(b testing.TB) *weights.Model {
	f, err := weights.Open(fixture.External(b, "sd21-configs/stable-diffusion-2-1-base"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkTrainStep is one training step (text encoder and UNet forward, backward into the
// text encoder, clipping, AdamW) on each fixture model at its native size. It reports steps
// per second, the rate in GFLOP/s of StepFLOPs, and the projected seconds per step of SD
// 2.1-base at 512×512 (its StepFLOPs at that rate).
func BenchmarkTrainStep(b *testing.B) {
	sdm := sd21Base(b)
	sdFLOPs := StepFLOPs(sdm, 64, 64, 77)
	for _, v := range fixture.Variants(b) {
		p, tok := pipeline(b, v)
		opts := Defaults()
		opts.Steps = MaxSteps
		opts.LearningRate = 1e-4
		tr, err := New(p, tok, "dog", fixtureImages(b, v), opts)
		if err != nil {
			b.Fatal(err)
		}
		size := Resolution(p, opts)
		h := tr.latent[2]
		b.Run(fmt.Sprintf("model=%s,res=%d", v.Name, size), func(b *testing.B) {
			if _, err := tr.Step(); err != nil { // compiles outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			flops := StepFLOPs(p.Model, h, h, len(tr.ids))
			b.ReportMetric(1/per, "steps/s")
			b.ReportMetric(flops/per/1e9, "GFLOP/s")
			b.ReportMetric(sdFLOPs/(flops/per), "sd21base-512-s/step")
		})
		tr.Close()
	}
}

// TestStepFLOPsSD21Base pins the projection's workload: an SD 2.1-base 512×512 step costs a
// UNet forward (about 0.8 TFLOP at batch 1) plus a backward pass of about the same size, plus
// the much smaller text encoder.
func TestStepFLOPsSD21Base(t *testing.T) {
	m := sd21Base(t)
	got := StepFLOPs(m, 64, 64, 77)
	fwd := sd.UNetFLOPs(m.UNet, 1, 64, 64, 77).Total()
	t.Logf("SD 2.1-base 512x512 training step: %.0f GFLOP (UNet forward %.0f GFLOP)", got/1e9, fwd/1e9)
	if got < 2*fwd || got > 2.5*fwd {
		t.Errorf("StepFLOPs %.3g, want 2 to 2.5 UNet forwards (%.3g)", got, fwd)
	}
}
