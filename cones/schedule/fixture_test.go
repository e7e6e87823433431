package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// schedCases is cases.json's "schedulers" section.
type schedCases struct {
	Schedulers struct {
		Config json.RawMessage `json:"config"`
		Specs  map[string]struct {
			Class           string          `json:"class"`
			ConfigOverrides json.RawMessage `json:"config_overrides"`
			StepKwargs      map[string]any  `json:"step_kwargs"`
		} `json:"specs"`
	} `json:"schedulers"`
}

// specSampler maps a fixture spec (diffusers class + step kwargs) to our sampler name and options.
func specSampler(t *testing.T, class string, kwargs map[string]any) (string, []Option) {
	t.Helper()
	switch class {
	case "LMSDiscreteScheduler":
		order := 4
		if v, ok := kwargs["order"].(float64); ok {
			order = int(v)
		}
		return "lms", []Option{LMSOrder(order)}
	case "DDIMScheduler":
		if v, ok := kwargs["eta"].(float64); ok && v != 0 {
			t.Fatalf("fixture asks for DDIM eta %g; only 0 is implemented", v)
		}
		return "ddim", nil
	case "EulerDiscreteScheduler":
		return "euler", nil
	case "DPMSolverMultistepScheduler":
		return "dpmsolver", nil
	case "PNDMScheduler":
		return "pndm", nil
	}
	t.Fatalf("fixture spec class %q has no sampler here", class)
	return "", nil
}

// relErr is max|got-want| / max|want|, the error measure for scheduler outputs.
func relErr(got, want []float32) (float64, error) {
	worst, _, err := fixture.MaxAbsDiff(got, want)
	if err != nil {
		return 0, err
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	if scale == 0 {
		return worst, nil
	}
	return worst / scale, nil
}

func TestFixtureTrajectories(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		var c schedCases
		v.Cases(t, &c)
		base, err := ParseConfig(c.Schedulers.Config)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if len(c.Schedulers.Specs) == 0 {
			t.Fatalf("%s: no scheduler specs", v.Name)
		}
		sample0 := v.Tensor(t, "sched.sample0").F32
		outs := v.Tensor(t, "sched.model_outputs")
		for spec, sp := range c.Schedulers.Specs {
			cfg := base
			if len(sp.ConfigOverrides) > 0 {
				if cfg, err = base.WithOverrides(sp.ConfigOverrides); err != nil {
					t.Fatalf("%s %s: %v", v.Name, spec, err)
				}
			}
			name, opts := specSampler(t, sp.Class, sp.StepKwargs)
			for _, n := range []int{50, 20} {
				key := fmt.Sprintf("sched.%s.n%d", spec, n)
				t.Run(v.Name+"/"+spec+fmt.Sprintf("/n=%d", n), func(t *testing.T) {
					s, err := New(name, cfg, opts...)
					if err != nil {
						t.Fatal(err)
					}
					if err := s.SetTimesteps(n); err != nil {
						t.Fatal(err)
					}
					checkTrajectory(t, v, key, s, sample0, outs)
				})
			}
		}
	}
}

func checkTrajectory(t *testing.T, v fixture.Variant, key string, s Scheduler, sample0 []float32, outs fixture.Tensor) {
	t.Helper()
	ts := s.Timesteps()
	wantTS := v.Tensor(t, key+".timesteps").F32
	if len(ts) != len(wantTS) {
		t.Fatalf("%d timesteps, want %d", len(ts), len(wantTS))
	}
	for i, w := range wantTS {
		if float32(ts[i]) != w {
			t.Fatalf("timestep %d = %v, want %v", i, ts[i], w)
		}
	}
	if names := v.Keys(t, key+".sigmas"); len(names) > 0 {
		got := s.Sigmas()
		want := v.Tensor(t, key+".sigmas").F32
		r, err := relErr(got, want)
		// The schedule is reproduced bit for bit (torch's linspace, float64 cumprod, np.interp).
		if err != nil || r != 0 {
			t.Fatalf("sigmas: rel error %.3g (%v)", r, err)
		}
		t.Logf("sigmas: rel error %.3g", r)
	}
	traj := v.Tensor(t, key+".trajectory").F32
	per := len(sample0)
	nOut := outs.Shape[0]
	x := make([]float32, per)
	init := s.InitNoiseSigma()
	for j, v := range sample0 {
		x[j] = v * init
	}
	worst, worstAll, maxRef := 0.0, 0.0, 0.0
	for i := range ts {
		xin, err := s.ScaleModelInput(x, i)
		if err != nil {
			t.Fatal(err)
		}
		mo := outs.F32[(i%nOut)*per : (i%nOut+1)*per]
		m := make([]float32, per)
		for j := range m {
			m[j] = mo[j] + float32(0.01)*xin[j]
		}
		if x, err = s.Step(m, x, i); err != nil {
			t.Fatal(err)
		}
		want := traj[i*per : (i+1)*per]
		r, err := relErr(x, want)
		if err != nil {
			t.Fatal(err)
		}
		abs, _, _ := fixture.MaxAbsDiff(x, want)
		worst = math.Max(worst, r)
		worstAll = math.Max(worstAll, abs)
		for _, w := range want {
			maxRef = math.Max(maxRef, math.Abs(float64(w)))
		}
	}
	t.Logf("trajectory: worst per-step rel error %.3g, whole-trajectory rel error %.3g", worst, worstAll/maxRef)
	if worst > 1e-5 {
		t.Fatalf("trajectory: per-step rel error %.3g > 1e-5", worst)
	}
}

func TestFixtureAddNoiseAndVelocity(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			var c schedCases
			v.Cases(t, &c)
			cfg, err := ParseConfig(c.Schedulers.Config)
			if err != nil {
				t.Fatal(err)
			}
			ns, err := NewNoiseSchedule(cfg)
			if err != nil {
				t.Fatal(err)
			}
			x0 := v.Tensor(t, "sched.add_noise.x0").F32
			noise := v.Tensor(t, "sched.add_noise.noise").F32
			ts := v.Tensor(t, "sched.add_noise.timesteps").I64
			wantN := v.Tensor(t, "sched.add_noise.out").F32
			wantV := v.Tensor(t, "sched.velocity.out").F32
			if len(ts) == 0 || len(wantN) != len(ts)*len(x0) || len(wantV) != len(wantN) {
				t.Fatalf("fixture shapes: %d timesteps, %d and %d outputs for %d values", len(ts), len(wantN), len(wantV), len(x0))
			}
			for k, tt := range ts {
				gotN, err := ns.AddNoise(x0, noise, int(tt))
				if err != nil {
					t.Fatal(err)
				}
				gotV, err := ns.GetVelocity(x0, noise, int(tt))
				if err != nil {
					t.Fatal(err)
				}
				per := len(x0)
				for _, c := range []struct {
					what      string
					got, want []float32
				}{{"add_noise", gotN, wantN[k*per : (k+1)*per]}, {"velocity", gotV, wantV[k*per : (k+1)*per]}} {
					r, err := relErr(c.got, c.want)
					if err != nil || r > 1e-6 {
						t.Fatalf("%s at t=%d: rel error %.3g (%v)", c.what, tt, r, err)
					}
					t.Logf("%s at t=%d: rel error %.3g", c.what, tt, r)
				}
			}
		})
	}
}
