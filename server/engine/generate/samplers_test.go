package generate

import (
	"context"
	"encoding/json"
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

// The prediction type comes from the model folder's scheduler config: the fixture's generator
// predicts what its cases.json says, and a v-prediction model (SD 2.1 at 768) gets a
// v-prediction sampler, which reads the same UNet output differently from an epsilon one.
func TestPredictionTypeFromModelFolder(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	gens := []struct {
		g    *Generator
		want string
	}{{g, v.Prediction(t)}, {withPrediction(t, g, schedule.PredictEpsilon), schedule.PredictEpsilon},
		{withPrediction(t, g, schedule.PredictV), schedule.PredictV}}
	for _, gen := range gens {
		s, err := gen.g.scheduler("lms")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Config().PredictionType; got != gen.want {
			t.Fatalf("prediction type %q, want %q", got, gen.want)
		}
	}
	prompt := conesfixture.Read(t, v).LayoutSampling.Prompt
	run := func(gen *Generator) []float32 {
		s := settings.Defaults(0, 0)
		s.Prompt, s.Steps, s.GuidanceSteps, s.Seed = prompt, 2, 0, 3
		res, err := gen.Generate(context.Background(), Request{Settings: s, LatentsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Latents.Data
	}
	eps, vp := run(gens[1].g), run(gens[2].g)
	if d, _, _ := fixture.MaxAbsDiff(eps, vp); d == 0 {
		t.Fatalf("v-prediction gives the epsilon result (%g)", d)
	}
}

// withPrediction is g with its model folder's scheduler config set (not text-replaced, so
// whatever the folder predicts) to predict pred.
func withPrediction(t *testing.T, g *Generator, pred string) *Generator {
	t.Helper()
	p := *g.Pipeline
	folder := *p.Folder
	var cfg map[string]any
	if err := json.Unmarshal(folder.SchedulerConfig, &cfg); err != nil {
		t.Fatalf("scheduler config: %v", err)
	}
	cfg["prediction_type"] = pred
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	folder.SchedulerConfig = b
	p.Folder = &folder
	return &Generator{Pipeline: &p, Tokenizer: g.Tokenizer}
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
