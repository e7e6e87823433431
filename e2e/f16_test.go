package e2e

import (
	"math"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// Tolerances of the engine with f16 weights (activations and accumulation stay f32): max abs
// error against the official float32 numbers, about twice what was measured on SwiftShader
// (sd15 / sd21base): text encoder 1.03e-3 / 1.11e-3, UNet 1.36e-3 / 1.31e-3, VAE decode
// 3.58e-3 / 2.58e-3, final latents of layout_sampling.run1 1.61e-2 / 2.31e-2 (rms 4.9e-3 / 5.1e-3;
// run0: 1.79e-2 / 1.93e-2), and the run's image 100% within one level of the reference in both.
const (
	f16TextTol    = 3e-3
	f16UNetTol    = 3e-3
	f16VAETol     = 8e-3
	f16LatentsTol = 5e-2
)

// TestF16Weights runs the component fixtures and one guided sampling run with f16 weights.
func TestF16Weights(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, false)
			if h.info["f16"] != true {
				t.Fatalf("engine not in f16 mode: %v", h.info)
			}
			var te f32
			h.call(t, "textEncoder", textEncoderRequest(t, v), &te)
			fixture.AssertClose(t, "f16 last_hidden_state", te, v.Tensor(t, "text_encoder.last_hidden_state").F32, f16TextTol)

			for _, ts := range v.UNetTimesteps(t)[:1] {
				key := unetKey(ts)
				var out f32
				h.call(t, "unet", unetRequest(t, v, ts), &out)
				fixture.AssertClose(t, "f16 "+key, out, v.Tensor(t, key+".out").F32, f16UNetTol)
			}

			var dec struct {
				Image f32
				RGBA  []byte
			}
			h.call(t, "decode", decodeRequest(t, v), &dec)
			fixture.AssertClose(t, "f16 vae.decode.out", dec.Image, v.Tensor(t, "vae.decode.out").F32, f16VAETol)

			// The cheapest guided run (self-recurrence and layout edit): the shared folders' run1,
			// guided for its first 8 of 20 steps.
			ls := readLayoutCases(t, v)
			i := cheapestGuidedRun(t, ls)
			r := ls.Runs[i]
			var out struct {
				Latents f32
				RGBA    []byte
			}
			h.call(t, "sample", samplingRequest(t, v, ls, i), &out)
			want := v.Tensor(t, r.Key+".final_latents").F32
			fixture.AssertClose(t, "f16 "+r.Key+".final_latents", out.Latents, want, f16LatentsTol)
			var rms float64
			for i := range want {
				d := float64(out.Latents[i] - want[i])
				rms += d * d
			}
			t.Logf("f16 %s.final_latents: rms error %.3g", r.Key, math.Sqrt(rms/float64(len(want))))
			checkImage(t, "f16 "+r.Key+".image", out.RGBA, v.Tensor(t, r.Key+".image").U8, 1, 0.99)
		})
	}
}

// cheapestGuidedRun is the index of the layout run with guided steps that takes the fewest UNet
// evaluations (each guided step is taken twice).
func cheapestGuidedRun(t *testing.T, ls layoutCases) int {
	t.Helper()
	best := -1
	for i, r := range ls.Runs {
		cost := r.InferenceSteps + r.GuidanceSteps
		if r.GuidanceSteps > 0 && (best < 0 || cost < ls.Runs[best].InferenceSteps+ls.Runs[best].GuidanceSteps) {
			best = i
		}
	}
	if best < 0 {
		t.Skip("cases.json has no guided layout run")
	}
	return best
}
