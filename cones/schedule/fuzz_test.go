package schedule

import (
	"errors"
	"math"
	"testing"
)

// FuzzParseConfig: any bytes either fail with a ConfigError or give a config from which every
// sampler is built (or refused with an error) and runs a short schedule without panicking.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "prediction_type": "epsilon", "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "clip_sample": false, "trained_betas": null}`,
		`{}`,
		`{"beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction", "use_karras_sigmas": true}`,
		`{"num_train_timesteps": 4, "trained_betas": [0.1, 0.2, 0.3, 0.4]}`,
		`{"solver_order": 3, "algorithm_type": "dpmsolver", "solver_type": "heun"}`,
		`{"beta_schedule": "nope"}`,
		`{"num_train_timesteps": -1}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ConfigError", err)
			}
			return
		}
		for _, name := range Names() {
			s, err := New(name, cfg)
			if err != nil {
				continue
			}
			n := min(5, cfg.NumTrainTimesteps)
			if err := s.SetTimesteps(n); err != nil {
				continue
			}
			x := []float32{0.5, -0.5}
			for i := range s.Timesteps() {
				xin, err := s.ScaleModelInput(x, i)
				if err != nil {
					t.Fatalf("%s: scale: %v", name, err)
				}
				if x, err = s.Step(xin, x, i); err != nil {
					t.Fatalf("%s: step %d: %v", name, i, err)
				}
			}
			_ = math.IsNaN(float64(s.Sigma(n)))
		}
	})
}
