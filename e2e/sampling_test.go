package e2e

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/internal/fixture"
)

// tokenIDs returns the fixture tokenizer's padded ids of text.
func tokenIDs(t *testing.T, v fixture.Variant, text string) []int {
	t.Helper()
	var cases struct {
		Tokenizer []struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		} `json:"tokenizer"`
	}
	v.Cases(t, &cases)
	for _, c := range cases.Tokenizer {
		if c.Text == text {
			return c.IDs
		}
	}
	t.Fatalf("%s: no tokenizer case for %q", v.Name, text)
	return nil
}

// samplingRequest is the harness request reproducing run i of a variant's layout sampling.
func samplingRequest(t *testing.T, v fixture.Variant, ls layoutCases, i int) map[string]any {
	t.Helper()
	r := ls.Runs[i]
	cfg, png := fixtureOfficialConfig(t, v, ls, i)
	var subjects [][2]any
	if err := json.Unmarshal(ls.SubjectList, &subjects); err != nil {
		t.Fatal(err)
	}
	var res []map[string]any
	for _, s := range subjects {
		res = append(res, map[string]any{"Token": int(s[1].(float64)), "Vector": f32(v.Tensor(t, "residual."+s[0].(string)).F32)})
	}
	nz := v.Tensor(t, r.Key+".noise")
	per := len(nz.F32) / nz.Shape[0]
	var draws []f32
	for d := range nz.Shape[0] {
		draws = append(draws, f32(nz.F32[d*per:(d+1)*per]))
	}
	return map[string]any{"Config": cfg, "PNG": png, "Prompt": tokenIDs(t, v, ls.Prompt), "Negative": tokenIDs(t, v, ""),
		"Residuals": res, "Noise": draws, "Resolution": r.Resolution, "Steps": r.InferenceSteps,
		"GuidanceSteps": r.GuidanceSteps, "GuidanceWeight": r.GuidanceWeight, "CFG": r.CFGScale}
}

// TestLayoutSamplingFixture reproduces every official layout_guidance_sampling run from its
// recorded noise in the browser (f32 weights): final latents within 1e-3 max abs, and the image
// within one level of 255 on at least 99% of values.
func TestLayoutSamplingFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		ls := readLayoutCases(t, v)
		for i, r := range ls.Runs {
			t.Run(v.Name+"/"+strings.TrimPrefix(r.Key, "layout_sampling."), func(t *testing.T) {
				h := loadHarness(t, v, true)
				var out struct {
					Latents f32
					RGBA    []byte
					Steps   int
				}
				start := time.Now()
				h.call(t, "sample", samplingRequest(t, v, ls, i), &out)
				t.Logf("%s: %d steps (%d guided) in %v", r.Key, out.Steps, r.GuidanceSteps, time.Since(start).Round(time.Second))
				if out.Steps != r.InferenceSteps {
					t.Errorf("OnStep called %d times, want %d", out.Steps, r.InferenceSteps)
				}
				fixture.AssertClose(t, r.Key+".final_latents", out.Latents, v.Tensor(t, r.Key+".final_latents").F32, 1e-3)
				checkImage(t, r.Key+".image", out.RGBA, v.Tensor(t, r.Key+".image").U8, 1, 0.99)
			})
		}
	}
}

// checkImage compares RGBA with an HWC uint8 reference: at least frac of the values within tol
// levels; it logs the worst difference and the share within tolerance.
func checkImage(t *testing.T, what string, rgba, want []byte, tol int, frac float64) {
	t.Helper()
	if len(rgba)/4 != len(want)/3 {
		t.Fatalf("%s: %d pixels, want %d", what, len(rgba)/4, len(want)/3)
	}
	ok, worst := 0, 0
	for p := range len(want) / 3 {
		for c := range 3 {
			d := int(math.Abs(float64(int(rgba[4*p+c]) - int(want[3*p+c]))))
			worst = max(worst, d)
			if d <= tol {
				ok++
			}
		}
	}
	share := float64(ok) / float64(len(want))
	t.Logf("%s: %.4f of values within %d level(s), worst %d", what, share, tol, worst)
	if share < frac {
		t.Errorf("%s: only %.4f of values within %d level(s), want %.2f (worst %d)", what, share, tol, frac, worst)
	}
}
