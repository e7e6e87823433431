package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// Every fixture folder's scheduler_config.json parses to the settings its cases.json records
// for the reference runs (schedulers.config), prediction type included.
func TestParseRealConfigs(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		p := filepath.Join(v.Dir, "scheduler", "scheduler_config.json")
		cfg := parseFile(t, p)
		var c struct {
			Schedulers struct {
				Config map[string]any `json:"config"`
			} `json:"schedulers"`
		}
		v.Cases(t, &c)
		want := c.Schedulers.Config
		if len(want) == 0 {
			t.Fatalf("%s: cases.json has no schedulers.config", v.Name)
		}
		got := map[string]any{"num_train_timesteps": float64(cfg.NumTrainTimesteps), "beta_start": cfg.BetaStart,
			"beta_end": cfg.BetaEnd, "beta_schedule": cfg.BetaSchedule, "steps_offset": float64(cfg.StepsOffset),
			"skip_prk_steps": cfg.SkipPRKSteps, "set_alpha_to_one": deref(cfg.SetAlphaToOne), "clip_sample": deref(cfg.ClipSample)}
		for key, g := range got {
			if w, ok := want[key]; ok && w != g {
				t.Errorf("%s: %s parsed as %v, cases.json says %v", p, key, g, w)
			}
		}
		if wantPred := v.Prediction(t); cfg.PredictionType != wantPred || cfg.ClassName == "" {
			t.Errorf("%s: prediction %q class %q, want %q", p, cfg.PredictionType, cfg.ClassName, wantPred)
		}
	}
}

// The published Stable Diffusion 2.1 configs parse to SD's settings; the 768 px model predicts v.
func TestParseSD21Configs(t *testing.T) {
	for _, m := range []string{"stable-diffusion-2-1", "stable-diffusion-2-1-base"} {
		p := fixture.External(t, filepath.Join("sd21-configs", m, "scheduler", "scheduler_config.json"))
		cfg := parseFile(t, p)
		if cfg.NumTrainTimesteps != 1000 || cfg.BetaStart != 0.00085 || cfg.BetaEnd != 0.012 ||
			cfg.BetaSchedule != BetaScaledLinear || cfg.StepsOffset != 1 || !cfg.SkipPRKSteps ||
			cfg.SetAlphaToOne == nil || *cfg.SetAlphaToOne || cfg.ClipSample == nil || *cfg.ClipSample {
			t.Errorf("%s: parsed %+v", p, cfg)
		}
		wantPred := PredictEpsilon
		if m == "stable-diffusion-2-1" {
			wantPred = PredictV
		}
		if cfg.PredictionType != wantPred || cfg.ClassName == "" {
			t.Errorf("%s: prediction %q class %q, want %q", p, cfg.PredictionType, cfg.ClassName, wantPred)
		}
	}
}

func parseFile(t *testing.T, p string) Config {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return cfg
}

// deref is a tri-state key as JSON decodes it: nil when unset.
func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"beta_schedule": "squaredcos_cap_v2", "unknown_key": [1, 2]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.BetaSchedule = BetaCosine
	if cfg.NumTrainTimesteps != want.NumTrainTimesteps || cfg.BetaStart != want.BetaStart || cfg.PredictionType != PredictEpsilon ||
		cfg.SolverOrder != 2 || cfg.AlgorithmType != "dpmsolver++" || !cfg.LowerOrderFinal || cfg.SetAlphaToOne != nil {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	// The class defaults of the tri-state keys: DDIM sets alpha to one and clips, PNDM does not.
	d, _ := New("ddim", cfg)
	p, _ := New("pndm", cfg)
	if dd := d.(*ddim); dd.final != 1 || !dd.clip {
		t.Errorf("ddim defaults: final %v clip %v", dd.final, dd.clip)
	}
	if pp := p.(*pndm); pp.final != pp.ns.alphaCumprod(0) {
		t.Errorf("pndm final alpha %v, want ac[0]", pp.final)
	}
}

func TestWithOverrides(t *testing.T) {
	base, err := ParseConfig([]byte(`{"set_alpha_to_one": true, "trained_betas": null}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := base.WithOverrides([]byte(`{"set_alpha_to_one": false, "solver_order": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	if *got.SetAlphaToOne || got.SolverOrder != 3 || !*base.SetAlphaToOne || base.SolverOrder != 2 {
		t.Errorf("override: got %+v from %+v", got, base)
	}
	if _, err := base.WithOverrides([]byte(`{"solver_order": 7}`)); err == nil {
		t.Error("invalid override accepted")
	}
}

func TestConfigErrors(t *testing.T) {
	many := `[` + strings.Repeat("0.01,", 9) + `0.01]`
	for _, c := range []struct{ json, field string }{
		{``, ""},
		{`[1]`, ""},
		{`{"beta_start": 0.1`, ""},
		{`{"beta_schedule": "cosine"}`, "beta_schedule"},
		{`{"prediction_type": "noise"}`, "prediction_type"},
		{`{"num_train_timesteps": "1000"}`, "num_train_timesteps"},
		{`{"num_train_timesteps": 1000.5}`, "num_train_timesteps"},
		{`{"num_train_timesteps": 0}`, "num_train_timesteps"},
		{`{"num_train_timesteps": 1000000000}`, "num_train_timesteps"},
		{`{"beta_start": 0}`, "beta_start"},
		{`{"beta_end": 1.5}`, "beta_end"},
		{`{"beta_start": 1e-300}`, "betas"},
		{`{"trained_betas": [0.1, 0.2]}`, "trained_betas"},
		{`{"num_train_timesteps": 10, "trained_betas": ` + strings.Replace(many, "0.01]", "1.0]", 1) + `}`, "trained_betas"},
		{`{"num_train_timesteps": 10000, "beta_schedule": "linear", "beta_start": 0.5, "beta_end": 0.9}`, "betas"},
		{`{"steps_offset": -1}`, "steps_offset"},
		{`{"solver_order": 4}`, "solver_order"},
		{`{"algorithm_type": "unipc"}`, "algorithm_type"},
		{`{"solver_type": "rk4"}`, "solver_type"},
		{`{"interpolation_type": "log_linear"}`, "interpolation_type"},
		{`{"timestep_spacing": "uniform"}`, "timestep_spacing"},
		{`{"set_alpha_to_one": "yes"}`, "set_alpha_to_one"},
	} {
		_, err := ParseConfig([]byte(c.json))
		if err == nil {
			_, err = NewNoiseSchedule(mustParse(t, c.json))
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v, want a ConfigError", c.json, err)
			continue
		}
		if ce.Field != c.field || !strings.HasPrefix(err.Error(), "scheduler config: ") {
			t.Errorf("%s: field %q (%v), want %q", c.json, ce.Field, err, c.field)
		}
	}
	// A valid trained_betas table is used as given.
	cfg := mustParse(t, `{"num_train_timesteps": 10, "trained_betas": `+many+`}`)
	ns, err := NewNoiseSchedule(cfg)
	if err != nil || ns.Betas()[9] != float32(0.01) || ns.Len() != 10 {
		t.Errorf("trained betas: %v %v", err, ns)
	}
}

// mustParse decodes without validation, for configs that only fail when the schedule is built.
func mustParse(t *testing.T, js string) Config {
	t.Helper()
	cfg := DefaultConfig()
	if err := cfg.decode([]byte(js)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return cfg
}
