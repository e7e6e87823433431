package generate

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/conesfixture"
)

// Every sampler runs the guided loop (self-recurrence included), and the layout edit changes its
// result: the same seed with guidance weight 0 gives other latents. One fixture model suffices
// here: the samplers' numerics are checked in cones/schedule, the edit in the fixture runs.
func TestSamplersWithLayoutGuidance(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	c := conesfixture.Read(t, v)
	l := conesfixture.OfficialLayout(t, v, c.LayoutSampling, -1e8)
	for _, name := range schedule.Names() {
		if name == "pndm" {
			continue // cannot repeat a step (TestGenerateBadInput); runs unguided in TestPNDMUnguided
		}
		t.Run(name, func(t *testing.T) {
			run := func(weight float64) []float32 {
				s := settings.Defaults(0, 0)
				s.Prompt, s.Sampler, s.Steps, s.GuidanceSteps, s.GuidanceWeight, s.Seed = c.LayoutSampling.Prompt, name, 2, 1, weight, 5
				res, err := g.Generate(context.Background(), Request{Settings: s, Layout: l, LatentsOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				return res.Latents.Data
			}
			guided, plain := run(0.08), run(0)
			for i, x := range guided {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("latent %d is %v", i, x)
				}
			}
			if d, _, _ := fixture.MaxAbsDiff(guided, plain); d == 0 {
				t.Fatal("the layout edit does not change the result")
			}
		})
	}
}

// The prediction type comes from the model folder's scheduler config: a v-prediction model
// (SD 2.1 at 768) gets a v-prediction sampler, which reads the same UNet output differently.
func TestPredictionTypeFromModelFolder(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	p := *g.Pipeline
	folder := *p.Folder
	cfg := folder.SchedulerConfig
	if !bytes.Contains(cfg, []byte(`"epsilon"`)) {
		t.Fatalf("fixture scheduler config has no epsilon prediction_type: %s", cfg)
	}
	folder.SchedulerConfig = bytes.Replace(cfg, []byte(`"epsilon"`), []byte(`"v_prediction"`), 1)
	p.Folder = &folder
	gv := &Generator{Pipeline: &p, Tokenizer: g.Tokenizer}
	for _, gen := range []struct {
		g    *Generator
		want string
	}{{g, schedule.PredictEpsilon}, {gv, schedule.PredictV}} {
		s, err := gen.g.scheduler("lms")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Config().PredictionType; got != gen.want {
			t.Fatalf("prediction type %q, want %q", got, gen.want)
		}
	}
	run := func(gen *Generator) []float32 {
		s := settings.Defaults(0, 0)
		s.Prompt, s.Steps, s.GuidanceSteps, s.Seed = "a dog", 2, 0, 3
		res, err := gen.Generate(context.Background(), Request{Settings: s, LatentsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Latents.Data
	}
	eps, vp := run(g), run(gv)
	if d, _, _ := fixture.MaxAbsDiff(eps, vp); d == 0 {
		t.Fatalf("v-prediction gives the epsilon result (%g)", d)
	}
}

func TestPNDMUnguided(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	s := settings.Defaults(0, 0)
	s.Prompt, s.Sampler, s.Steps, s.GuidanceSteps = "a dog", "pndm", 3, 0
	res, err := g.Generate(context.Background(), Request{Settings: s, LatentsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pixels != nil || len(res.Latents.Data) == 0 {
		t.Fatalf("latents-only result: %d pixels, %d latents", len(res.Pixels), len(res.Latents.Data))
	}
}
