package subject

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

// stepFLOPs estimates one training step's floating-point operations from the model
// description (weights' counter: matrix products only): the UNet forward pass; its backward pass
// for the input gradients alone (the UNet is frozen), one product per linear layer and
// convolution and two per attention product; and the text encoder forward plus a backward
// pass for input and weight gradients (three times its forward). The per-token preservation
// norms, AdamW and the VAE (run once per image, not per step) are left out.
func stepFLOPs(m *weights.Model, latentH, latentW, textLen int) float64 {
	u := m.UNet.FLOPs(1, latentH, latentW, textLen)
	te := m.TextEncoder.FLOPs(1, textLen)
	return u.Total() + u.Conv + u.Linear + 2*u.Attention + 3*te.Total()
}

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
// per second, the rate in GFLOP/s of stepFLOPs, and the projected seconds per step of SD
// 2.1-base at 512×512 (its stepFLOPs at that rate).
func BenchmarkTrainStep(b *testing.B) {
	sdm := sd21Base(b)
	sdFLOPs := stepFLOPs(sdm, 64, 64, 77)
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
			flops := stepFLOPs(p.Model, h, h, len(tr.ids))
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
	got := stepFLOPs(m, 64, 64, 77)
	fwd := m.UNet.FLOPs(1, 64, 64, 77).Total()
	t.Logf("SD 2.1-base 512x512 training step: %.0f GFLOP (UNet forward %.0f GFLOP)", got/1e9, fwd/1e9)
	if got < 2*fwd || got > 2.5*fwd {
		t.Errorf("stepFLOPs %.3g, want 2 to 2.5 UNet forwards (%.3g)", got, fwd)
	}
}
