package generate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/conesfixture"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

var (
	generators     sync.Map // variant dir -> *Generator
	newTestBackend = sync.OnceValues(sd.NewBackend)
)

// generator loads a fixture model once per test binary, so its graphs compile once.
func generator(t testing.TB, v fixture.Variant) *Generator {
	t.Helper()
	if g, ok := generators.Load(v.Dir); ok {
		return g.(*Generator)
	}
	b, err := newTestBackend()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sd.Load(v.Dir, b)
	if err != nil {
		t.Fatal(err)
	}
	g := &Generator{Pipeline: p, Tokenizer: conesfixture.Tokenizer(t, v)}
	generators.Store(v.Dir, g)
	return g
}

// fixtureResiduals imports the official .pt residuals named in cases.layout_sampling.residuals.
func fixtureResiduals(t testing.TB, v fixture.Variant, ls conesfixture.LayoutSampling) []*residual.Residual {
	t.Helper()
	var words []string
	for w := range ls.Residuals {
		words = append(words, w)
	}
	sort.Strings(words)
	var out []*residual.Residual
	for _, w := range words {
		p := filepath.Join(v.Dir, ls.Residuals[w])
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := residual.ImportPT(p, data, w)
		if err != nil {
			t.Fatal(err)
		}
		fixture.AssertClose(t, "residual "+w, r.Data, v.Tensor(t, "residual."+w).F32, 0)
		out = append(out, r)
	}
	return out
}

// One UNet call through the official Cones 2 attention processor, with the layout built from
// the colour PNG and the subject tokens found by the tokenizer.
func TestUNetCones2Fixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			g := generator(t, v)
			c := conesfixture.Read(t, v)
			uc := c.UNetCones2
			l := conesfixture.OfficialLayout(t, v, c.LayoutSampling, uc.WeightNegative)
			lat, text := v.Tensor(t, "unet_cones2.sample"), v.Tensor(t, "unet_cones2.encoder_hidden_states")
			grids := layoutGrids(t, g, l, c.LayoutSampling.Prompt, lat.Shape[2], lat.Shape[3])
			guide := &sd.Guidance{Grids: grids, Strength: []float32{sample.EditStrength(uc.GuidanceWeight, float32(uc.Sigma))}}
			got, err := g.Pipeline.UNet.Predict(weights.Tensor{Shape: lat.Shape, Data: lat.F32}, []float32{float32(uc.Timestep)},
				weights.Tensor{Shape: text.Shape, Data: text.F32}, guide)
			if err != nil {
				t.Fatal(err)
			}
			want := v.Tensor(t, "unet_cones2.out").F32
			fixture.AssertClose(t, "guided unet out", got.Data, want, 1e-4)
			plain, err := g.Pipeline.UNet.Predict(weights.Tensor{Shape: lat.Shape, Data: lat.F32}, []float32{float32(uc.Timestep)},
				weights.Tensor{Shape: text.Shape, Data: text.F32}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d, _, _ := fixture.MaxAbsDiff(plain.Data, want); d < 1e-3 {
				t.Fatalf("plain attention is within %.3g of the guided reference: the test cannot see the edit", d)
			}
		})
	}
}

// The official layout_guidance_sampling runs, replayed from their recorded noise.
func TestLayoutSamplingFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the full official sampling runs take about a minute on 2 cores")
	}
	for _, v := range fixture.Variants(t) {
		c := conesfixture.Read(t, v)
		ls := c.LayoutSampling
		for _, run := range ls.Runs {
			t.Run(v.Name+"/"+run.Key, func(t *testing.T) {
				g := generator(t, v)
				checkSubjectList(t, g, ls)
				nz := v.Tensor(t, run.Key+".noise")
				if nz.Shape[0] != run.NoiseDraws {
					t.Fatalf("%d recorded draws, cases.json says %d", nz.Shape[0], run.NoiseDraws)
				}
				per := len(nz.F32) / nz.Shape[0]
				draws := make([][]float32, nz.Shape[0])
				for i := range draws {
					draws[i] = nz.F32[i*per : (i+1)*per]
				}
				replay := noise.NewReplay(draws...)
				s := Settings{Prompt: ls.Prompt, Width: run.Resolution, Height: run.Resolution, Steps: run.InferenceSteps,
					GuidanceSteps: run.GuidanceSteps, GuidanceWeight: run.GuidanceWeight, CFGScale: run.CFGScale, Sampler: "lms"}
				res, err := g.Generate(context.Background(), Request{Settings: s,
					Layout:    conesfixture.OfficialLayout(t, v, ls, run.WeightNegative),
					Residuals: fixtureResiduals(t, v, ls), Noise: replay})
				if err != nil {
					t.Fatal(err)
				}
				if replay.Remaining() != 0 {
					t.Fatalf("%d recorded draws unused", replay.Remaining())
				}
				fixture.AssertClose(t, "final latents", res.Latents.Data, v.Tensor(t, run.Key+".final_latents").F32, 1e-3)
				checkImage(t, res.Pixels, v.Tensor(t, run.Key+".image").U8)
			})
		}
	}
}

// checkSubjectList checks that the tokenizer finds each subject at the token index the official
// configuration gives by hand.
func checkSubjectList(t *testing.T, g *Generator, ls conesfixture.LayoutSampling) {
	t.Helper()
	var list [][2]any
	if err := jsonUnmarshal(ls.SubjectList, &list); err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		word, idx := e[0].(string), int(e[1].(float64))
		pos, err := g.Tokenizer.Positions(ls.Prompt, word)
		if err != nil {
			t.Fatal(err)
		}
		if len(pos) != 1 || pos[0] != idx {
			t.Fatalf("subject %q: tokenizer positions %v, official subject_list %d", word, pos, idx)
		}
	}
}

// checkImage requires every value within 1 level on at least 99% of values, and reports the
// worst difference.
func checkImage(t *testing.T, got, want []uint8) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("image has %d values, want %d", len(got), len(want))
	}
	off, worst := 0, 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		worst = math.Max(worst, d)
		if d > 1 {
			off++
		}
	}
	share := float64(off) / float64(len(got))
	t.Logf("image: %d of %d values more than 1 level off (%.3f%%), worst %v levels", off, len(got), 100*share, worst)
	if share > 0.01 {
		t.Fatalf("%.2f%% of values are more than 1 level off (at most 1%%)", 100*share)
	}
}
