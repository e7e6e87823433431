package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Config is a diffusers scheduler_config.json. Field tags are the diffusers keys; keys that a
// sampler does not use are ignored by it, as diffusers ignores them. Missing keys take the
// diffusers v0.13.1 class defaults (DefaultConfig); the two booleans whose default differs between
// classes are pointers, nil meaning "the sampler's own default".
type Config struct {
	ClassName         string    `json:"_class_name,omitempty"`
	NumTrainTimesteps int       `json:"num_train_timesteps"`
	BetaStart         float64   `json:"beta_start"`
	BetaEnd           float64   `json:"beta_end"`
	BetaSchedule      string    `json:"beta_schedule"` // linear, scaled_linear, squaredcos_cap_v2
	TrainedBetas      []float64 `json:"trained_betas"` // overrides the three above when set
	PredictionType    string    `json:"prediction_type"`
	StepsOffset       int       `json:"steps_offset"`   // DDIM, PNDM (v0.13.1 LMS, Euler, DPM ignore it)
	SkipPRKSteps      bool      `json:"skip_prk_steps"` // PNDM
	SetAlphaToOne     *bool     `json:"set_alpha_to_one"`
	ClipSample        *bool     `json:"clip_sample"` // DDIM: clamp predicted x0 to [-1, 1]

	// DPM-Solver multistep.
	SolverOrder     int    `json:"solver_order"`
	AlgorithmType   string `json:"algorithm_type"` // dpmsolver++ or dpmsolver
	SolverType      string `json:"solver_type"`    // midpoint or heun
	LowerOrderFinal bool   `json:"lower_order_final"`
	Thresholding    bool   `json:"thresholding"` // rejected: needs the batch shape, unsuitable for latents

	// Keys of later diffusers releases, accepted where they keep v0.13.1 behaviour or add an
	// opt-in schedule: use_karras_sigmas (LMS, Euler, DPM), timestep_spacing (only the value that
	// equals the v0.13.1 behaviour of the sampler), interpolation_type (Euler: only "linear").
	UseKarrasSigmas   bool   `json:"use_karras_sigmas"`
	TimestepSpacing   string `json:"timestep_spacing"`
	InterpolationType string `json:"interpolation_type"`
}

// Beta schedules, prediction types and DPM-Solver settings understood by Config.
const (
	BetaLinear       = "linear"
	BetaScaledLinear = "scaled_linear"
	BetaCosine       = "squaredcos_cap_v2"

	PredictEpsilon = "epsilon"
	PredictV       = "v_prediction"
	PredictSample  = "sample"
)

// maxTrainTimesteps bounds num_train_timesteps so a hostile config cannot make us allocate
// gigabytes; real models use 1000.
const maxTrainTimesteps = 100000

// DefaultConfig returns the diffusers v0.13.1 constructor defaults.
func DefaultConfig() Config {
	return Config{
		NumTrainTimesteps: 1000,
		BetaStart:         0.0001,
		BetaEnd:           0.02,
		BetaSchedule:      BetaLinear,
		PredictionType:    PredictEpsilon,
		SolverOrder:       2,
		AlgorithmType:     "dpmsolver++",
		SolverType:        "midpoint",
		LowerOrderFinal:   true,
	}
}

// ParseConfig decodes a scheduler_config.json on top of DefaultConfig and validates it.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	if err := cfg.decode(data); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// WithOverrides returns a copy of c with the keys of the JSON object overrides applied (the
// per-sampler "config_overrides" of a pipeline, e.g. {"set_alpha_to_one": false}), validated.
func (c Config) WithOverrides(overrides []byte) (Config, error) {
	out := c
	// Deep copy: json.Unmarshal writes through existing pointers and slices.
	out.TrainedBetas = append([]float64(nil), c.TrainedBetas...)
	out.SetAlphaToOne, out.ClipSample = clonePtr(c.SetAlphaToOne), clonePtr(c.ClipSample)
	if err := out.decode(overrides); err != nil {
		return Config{}, err
	}
	if err := out.Validate(); err != nil {
		return Config{}, err
	}
	return out, nil
}

func (c *Config) decode(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &ConfigError{Field: "", Problem: "want a JSON object"}
	}
	if err := json.Unmarshal(trimmed, c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &ConfigError{Field: te.Field, Problem: fmt.Sprintf("want a %s, got a JSON %s", te.Type, te.Value)}
		}
		return &ConfigError{Problem: err.Error()}
	}
	return nil
}

// Validate checks the fields every sampler relies on; sampler-specific limits (for example PNDM
// and the "sample" prediction type) are checked by New.
func (c Config) Validate() error {
	if c.NumTrainTimesteps < 2 || c.NumTrainTimesteps > maxTrainTimesteps {
		return &ConfigError{Field: "num_train_timesteps", Problem: fmt.Sprintf("%d is outside [2, %d]", c.NumTrainTimesteps, maxTrainTimesteps)}
	}
	if err := c.validateBetas(); err != nil {
		return err
	}
	if err := oneOf("prediction_type", c.PredictionType, PredictEpsilon, PredictV, PredictSample); err != nil {
		return err
	}
	if c.StepsOffset < 0 || c.StepsOffset >= c.NumTrainTimesteps {
		return &ConfigError{Field: "steps_offset", Problem: fmt.Sprintf("%d is outside [0, num_train_timesteps)", c.StepsOffset)}
	}
	if c.SolverOrder < 1 || c.SolverOrder > 3 {
		return &ConfigError{Field: "solver_order", Problem: fmt.Sprintf("%d is not 1, 2 or 3", c.SolverOrder)}
	}
	if err := oneOf("algorithm_type", c.AlgorithmType, "dpmsolver++", "dpmsolver", "deis"); err != nil {
		return err
	}
	if err := oneOf("solver_type", c.SolverType, "midpoint", "heun", "logrho", "bh1", "bh2"); err != nil {
		return err
	}
	if c.InterpolationType != "" && c.InterpolationType != "linear" {
		return &ConfigError{Field: "interpolation_type", Problem: fmt.Sprintf("%q is not supported (only \"linear\")", c.InterpolationType)}
	}
	return oneOf("timestep_spacing", c.TimestepSpacing, "", "linspace", "leading", "trailing")
}

func (c Config) validateBetas() error {
	if c.TrainedBetas != nil {
		if len(c.TrainedBetas) != c.NumTrainTimesteps {
			return &ConfigError{Field: "trained_betas", Problem: fmt.Sprintf("has %d values, num_train_timesteps is %d", len(c.TrainedBetas), c.NumTrainTimesteps)}
		}
		for i, b := range c.TrainedBetas {
			if !(b > 0 && b < 1) {
				return &ConfigError{Field: "trained_betas", Problem: fmt.Sprintf("value %d is %g, want 0 < beta < 1", i, b)}
			}
		}
		return nil
	}
	if err := oneOf("beta_schedule", c.BetaSchedule, BetaLinear, BetaScaledLinear, BetaCosine); err != nil {
		return err
	}
	if c.BetaSchedule == BetaCosine {
		return nil // betas come from the cosine alpha-bar, not from beta_start/beta_end
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"beta_start", c.BetaStart}, {"beta_end", c.BetaEnd}} {
		if !(f.v > 0 && f.v < 1) || math.IsInf(f.v, 0) {
			return &ConfigError{Field: f.name, Problem: fmt.Sprintf("%g, want 0 < beta < 1", f.v)}
		}
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	var shown []string
	for _, a := range allowed {
		if a != "" {
			shown = append(shown, a)
		}
	}
	return &ConfigError{Field: field, Problem: fmt.Sprintf("%q is not one of %s", v, strings.Join(shown, ", "))}
}

func clonePtr(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// boolOr returns *p, or def when the key was absent.
func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
