package subject

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/sd"
)

// trainCases is cases.train of a fixture: the official loop's settings and per-step log.
type trainCases struct {
	InstancePrompt string  `json:"instance_prompt"`
	TokenNum       int     `json:"token_num"`
	Optimizer      string  `json:"optimizer"`
	MaxGradNorm    float64 `json:"max_grad_norm"`
	LossRateFirst  float64 `json:"loss_rate_first"`
	LossRateSecond float64 `json:"loss_rate_second"`
	Steps          []struct {
		Step       int     `json:"step"`
		ImageIndex int     `json:"image_index"`
		Timestep   int     `json:"timestep"`
		MSE        float64 `json:"mse"`
		LFirst     float64 `json:"l_first"`
		LSecond    float64 `json:"l_second"`
		Loss       float64 `json:"loss"`
		GradNorm   float64 `json:"grad_norm_before_clip"`
	} `json:"steps"`
	Templates []string `json:"templates"`
}

func readTrainCases(t testing.TB, v fixture.Variant) trainCases {
	t.Helper()
	var c struct {
		Train trainCases `json:"train"`
	}
	v.Cases(t, &c)
	if len(c.Train.Steps) == 0 {
		t.Fatalf("%s: cases.json has no train steps", v.Name)
	}
	return c.Train
}

var (
	testBackend = sync.OnceValues(sd.NewBackend)
	pipelines   sync.Map // variant dir -> *sd.Pipeline
)

// pipeline loads a fixture model once per test binary.
func pipeline(t testing.TB, v fixture.Variant) (*sd.Pipeline, *tokenizer.Tokenizer) {
	t.Helper()
	b, err := testBackend()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := pipelines.Load(v.Dir)
	if !ok {
		loaded, err := sd.Load(v.Dir, b)
		if err != nil {
			t.Fatal(err)
		}
		p, _ = pipelines.LoadOrStore(v.Dir, loaded)
	}
	tok, err := tokenizer.Load(filepath.Join(v.Dir, "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	return p.(*sd.Pipeline), tok
}

// fixtureImages are train.images, one [3, H, W] slice per image.
func fixtureImages(t testing.TB, v fixture.Variant) [][]float32 {
	t.Helper()
	all := v.Tensor(t, "train.images")
	n := all.Shape[0]
	per := len(all.F32) / n
	out := make([][]float32, n)
	for i := range out {
		out[i] = all.F32[i*per : (i+1)*per]
	}
	return out
}

// replay feeds the draws the official run recorded.
type replay struct {
	v     fixture.Variant
	t     testing.TB
	steps []struct{ image, timestep int }
}

func (r replay) Draw(step, images, timesteps, latentSize int) (Draw, error) {
	if step >= len(r.steps) {
		return Draw{}, fmt.Errorf("the fixture recorded %d steps", len(r.steps))
	}
	key := fmt.Sprintf("train.step%d.", step)
	return Draw{Image: r.steps[step].image, Timestep: r.steps[step].timestep,
		EpsLatent: r.v.Tensor(r.t, key+"eps_latent").F32, Noise: r.v.Tensor(r.t, key+"noise").F32}, nil
}

// fixtureOptions are the options the fixture's loop ran with (cases.train).
func fixtureOptions(t testing.TB, c trainCases) Options {
	t.Helper()
	o := Defaults()
	o.Steps = len(c.Steps)
	o.FirstWeight, o.SecondWeight, o.MaxGradNorm = c.LossRateFirst, c.LossRateSecond, c.MaxGradNorm
	var lr, b1, b2, wd, eps float64
	if _, err := fmt.Sscanf(c.Optimizer, "AdamW lr=%g betas=(%g,%g) weight_decay=%g eps=%g", &lr, &b1, &b2, &wd, &eps); err != nil {
		t.Fatalf("cases.train.optimizer %q: %v", c.Optimizer, err)
	}
	o.LearningRate, o.Beta1, o.Beta2, o.WeightDecay, o.Epsilon = lr, b1, b2, wd, eps
	return o
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-12)
}

// TestFixtureTraining reproduces cases.train of every fixture model with the recorded
// randomness: per-step losses, preservation norms and gradient norms (1e-4 relative), the
// tuned text encoder parameters and the residual (1e-4 max abs).
func TestFixtureTraining(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			c := readTrainCases(t, v)
			p, tok := pipeline(t, v)
			opts := fixtureOptions(t, c)
			tr, err := New(p, tok, c.InstancePrompt, fixtureImages(t, v), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if tr.tokens != c.TokenNum {
				t.Fatalf("%q is %d tokens, the fixture trained with token_num %d", c.InstancePrompt, tr.tokens, c.TokenNum)
			}
			rp := replay{v: v, t: t}
			for _, s := range c.Steps {
				rp.steps = append(rp.steps, struct{ image, timestep int }{s.ImageIndex, s.Timestep})
			}
			tr.SetDraws(rp)
			for i, want := range c.Steps {
				got, err := tr.Step()
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range []struct {
					name      string
					got, want float64
				}{{"loss", got.Loss, want.Loss}, {"mse", got.MSE, want.MSE}, {"l_first", got.First, want.LFirst},
					{"l_second", got.Second, want.LSecond}, {"grad_norm", got.GradNorm, want.GradNorm}} {
					if !relClose(q.got, q.want, 1e-4) {
						t.Errorf("step %d %s: got %.9g, want %.9g (rel %.2g)", i, q.name, q.got, q.want, math.Abs(q.got-q.want)/math.Abs(q.want))
					}
				}
				t.Logf("step %d: loss %.8g (want %.8g), l_first %.6g, l_second %.6g, grad norm %.6g", i, got.Loss, want.Loss, got.First, got.Second, got.GradNorm)
			}
			params, err := tr.Parameters()
			if err != nil {
				t.Fatal(err)
			}
			keys := v.Keys(t, "train.final.")
			if len(keys) != len(params) {
				t.Errorf("the fixture has %d tuned parameters, the trainer %d", len(keys), len(params))
			}
			worst := 0.0
			for _, k := range keys {
				name := strings.TrimPrefix(k, "train.final.")
				got, ok := params[name]
				if !ok {
					t.Errorf("the trainer has no parameter %s", name)
					continue
				}
				d, at, err := fixture.MaxAbsDiff(got.Data, v.Tensor(t, k).F32)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if d > 1e-4 {
					t.Errorf("%s: max abs error %.3g at %d", name, d, at)
				}
				worst = math.Max(worst, d)
			}
			t.Logf("tuned parameters: max abs error %.3g over %d tensors", worst, len(keys))
			if !slices.Equal(mustSentences(t, OfficialSentences), c.Templates) {
				t.Fatalf("our official templates differ from the fixture's")
			}
			r, err := tr.Residual()
			if err != nil {
				t.Fatal(err)
			}
			fixture.AssertClose(t, "residual", r.Data, v.Tensor(t, "train.residual").F32, 1e-4)
		})
	}
}

func mustSentences(t testing.TB, name string) []string {
	t.Helper()
	s, err := SentenceSet(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
