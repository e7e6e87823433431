package schedule

import (
	"fmt"
	"math"
	"testing"
)

// These reproduce diffusers' own scheduler unit tests (tests/schedulers/test_scheduler_*.py),
// whose harness and literal expected numbers are collected in
// ../shared/fixtures/external/scheduler_cases.md: a deterministic 4x3x8x8 sample, a dummy model
// sample*t/(t+1), and the sum and mean of |sample| after a full loop, with diffusers' tolerances.

const (
	dummyBatch = 4
	dummyN     = 4 * 3 * 8 * 8
)

// dummySample is dummy_sample_deter, laid out [b][c][h][w]: arange(N) reshaped (c,h,w,b),
// divided by N, permuted to (b,c,h,w). reversed gives dummy_noise_deter (the flipped arange).
func dummySample(reversed bool) []float32 {
	out := make([]float32, dummyN)
	for b := range dummyBatch {
		for c := range 3 {
			for h := range 8 {
				for w := range 8 {
					k := ((c*8+h)*8+w)*dummyBatch + b
					if reversed {
						k = dummyN - 1 - k
					}
					out[((b*3+c)*8+h)*8+w] = float32(k) / float32(dummyN)
				}
			}
		}
	}
	return out
}

// dummyModel is sample * t / (t + 1) in float32, t cast to float32 like the test's model.
func dummyModel(x []float32, t float64) []float32 {
	tf := float32(t)
	out := make([]float32, len(x))
	for j, v := range x {
		out[j] = (v * tf) / (tf + 1)
	}
	return out
}

func absSumMean(x []float32) (float64, float64) {
	s := 0.0
	for _, v := range x {
		s += math.Abs(float64(v))
	}
	return s, s / float64(len(x))
}

// upstreamCase is one diffusers unit test: config changes, where the loop starts, and the
// asserted numbers (NaN: not asserted upstream).
type upstreamCase struct {
	name            string
	sampler         string
	json            string
	start           int  // t_start: first step index (the "with_noise" tests)
	scaleInput      bool // the loop feeds scale_model_input's output to step (LMS, Euler)
	sum, mean       float64
	sumTol, meanTol float64
}

const (
	kdiffBase = `{"num_train_timesteps": 1100, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear"`
	ddimBase  = `{"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "clip_sample": true`
	dpmBase   = `{"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "solver_order": 2, "algorithm_type": "dpmsolver++", "solver_type": "midpoint", "lower_order_final": false`
	pndmBase  = `{"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear"`
)

var nan = math.NaN()

var upstreamCases = []upstreamCase{
	{"lms/no_noise", "lms", kdiffBase + `}`, 0, true, 1006.388, 1.31, 1e-2, 1e-3},
	{"lms/v_prediction", "lms", kdiffBase + `, "prediction_type": "v_prediction"}`, 0, true, 0.0017, 2.2676e-06, 1e-2, 1e-3},
	{"lms/karras_sigmas", "lms", kdiffBase + `, "use_karras_sigmas": true}`, 0, true, 3812.9927, 4.9648, 2e-2, 1e-3},
	{"lms/with_noise", "lms", kdiffBase + `}`, 8, true, 27663.6895, 36.0204, 1e-2, 1e-3},
	{"euler/no_noise", "euler", kdiffBase + `}`, 0, true, 10.0807, 0.0131, 1e-2, 1e-3},
	{"euler/v_prediction", "euler", kdiffBase + `, "prediction_type": "v_prediction"}`, 0, true, 0.0002, 2.2676e-06, 1e-2, 1e-3},
	{"euler/karras_sigmas", "euler", kdiffBase + `, "use_karras_sigmas": true}`, 0, true, 124.52299499511719, 0.16213932633399963, 1e-2, 1e-3},
	{"euler/with_noise", "euler", kdiffBase + `}`, 8, true, 57062.9297, 74.3007, 1e-2, 1e-3},
	{"ddim/no_noise", "ddim", ddimBase + `}`, 0, false, 172.0067, 0.223967, 1e-2, 1e-3},
	{"ddim/v_prediction", "ddim", ddimBase + `, "prediction_type": "v_prediction"}`, 0, false, 52.5302, 0.0684, 1e-2, 1e-3},
	{"ddim/set_alpha_to_one", "ddim", ddimBase + `, "set_alpha_to_one": true, "beta_start": 0.01}`, 0, false, 149.8295, 0.1951, 1e-2, 1e-3},
	{"ddim/no_set_alpha_to_one", "ddim", ddimBase + `, "set_alpha_to_one": false, "beta_start": 0.01}`, 0, false, 149.0784, 0.1941, 1e-2, 1e-3},
	{"ddim/with_noise", "ddim", ddimBase + `}`, 8, false, 354.5418, 0.4616, 1e-2, 1e-3},
	{"dpm/no_noise", "dpmsolver", dpmBase + `}`, 0, false, nan, 0.3301, 0, 1e-3},
	{"dpm/with_noise", "dpmsolver", dpmBase + `}`, 5, false, 318.4111, 0.4146, 1e-2, 1e-3},
	{"dpm/v_prediction", "dpmsolver", dpmBase + `, "prediction_type": "v_prediction"}`, 0, false, nan, 0.2251, 0, 1e-3},
	{"dpm/karras_v_prediction", "dpmsolver", dpmBase + `, "prediction_type": "v_prediction", "use_karras_sigmas": true}`, 0, false, nan, 0.2096, 0, 1e-3},
	{"pndm/no_noise", "pndm", pndmBase + `}`, 0, false, 198.1318, 0.2580, 1e-2, 1e-3},
	{"pndm/v_prediction", "pndm", pndmBase + `, "prediction_type": "v_prediction"}`, 0, false, 67.3986, 0.0878, 1e-2, 1e-3},
	{"pndm/set_alpha_to_one", "pndm", pndmBase + `, "set_alpha_to_one": true, "beta_start": 0.01}`, 0, false, 230.0399, 0.2995, 1e-2, 1e-3},
	{"pndm/no_set_alpha_to_one", "pndm", pndmBase + `, "set_alpha_to_one": false, "beta_start": 0.01}`, 0, false, 186.9482, 0.2434, 1e-2, 1e-3},
}

func TestDiffusersUnitCases(t *testing.T) {
	for _, c := range upstreamCases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(c.sampler, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetTimesteps(10); err != nil {
				t.Fatal(err)
			}
			x, err := upstreamStart(s, c.start)
			if err != nil {
				t.Fatal(err)
			}
			ts := s.Timesteps()
			for i := c.start; i < len(ts); i++ {
				if c.scaleInput {
					if x, err = s.ScaleModelInput(x, i); err != nil {
						t.Fatal(err)
					}
				}
				if x, err = s.Step(dummyModel(x, ts[i]), x, i); err != nil {
					t.Fatal(err)
				}
			}
			sum, mean := absSumMean(x)
			t.Logf("sum %.7g (upstream %.7g), mean %.7g (upstream %.7g)", sum, c.sum, mean, c.mean)
			if !math.IsNaN(c.sum) && math.Abs(sum-c.sum) >= c.sumTol {
				t.Errorf("sum %.7g, upstream asserts %.7g within %g", sum, c.sum, c.sumTol)
			}
			if math.Abs(mean-c.mean) >= c.meanTol {
				t.Errorf("mean %.7g, upstream asserts %.7g within %g", mean, c.mean, c.meanTol)
			}
		})
	}
}

// upstreamStart is the loop's first sample: the deterministic sample times init_noise_sigma,
// noised to the level of step start with the scheduler's add_noise for the "with_noise" tests.
func upstreamStart(s Scheduler, start int) ([]float32, error) {
	x := dummySample(false)
	init := s.InitNoiseSigma()
	for j := range x {
		x[j] *= init
	}
	if start == 0 {
		return x, nil
	}
	return s.AddNoise(x, dummySample(true), start)
}

// The exact timestep asserts of the upstream tests and of the real SD 2.1 configurations.
func TestUpstreamTimesteps(t *testing.T) {
	sd := `{"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1}`
	for _, c := range []struct {
		name, sampler, json string
		n                   int
		want                []float64 // nil: check only head and tail below
		head, tail          []float64
	}{
		{"ddim/steps_offset", "ddim", `{"steps_offset": 1}`, 5, []float64{801, 601, 401, 201, 1}, nil, nil},
		{"pndm/steps_offset", "pndm", `{"steps_offset": 1}`, 10, []float64{901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1}, nil, nil},
		{"pndm/prk", "pndm", `{}`, 10, []float64{900, 850, 850, 800, 800, 750, 750, 700, 700, 650, 650, 600, 600, 500, 400, 300, 200, 100, 0}, nil, nil},
		{"dpm/linspace", "dpmsolver", `{}`, 10, []float64{999, 899, 799, 699, 599, 500, 400, 300, 200, 100}, nil, nil},
		{"dpm/karras", "dpmsolver", `{"use_karras_sigmas": true}`, 10, []float64{999, 937, 864, 775, 663, 511, 301, 102, 18, 0}, nil, nil},
		{"sd21/ddim", "ddim", sd, 50, nil, []float64{981, 961, 941}, []float64{41, 21, 1}},
		{"sd21base/pndm", "pndm", sd, 50, nil, []float64{981, 961, 961, 941, 921}, []float64{41, 21, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := mustTimesteps(t, c.sampler, c.json, c.n)
			if c.want != nil {
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Fatalf("timesteps %v, want %v", got, c.want)
				}
				return
			}
			if fmt.Sprint(got[:len(c.head)]) != fmt.Sprint(c.head) || fmt.Sprint(got[len(got)-len(c.tail):]) != fmt.Sprint(c.tail) {
				t.Fatalf("timesteps %v, want %v ... %v", got, c.head, c.tail)
			}
		})
	}
}

func mustTimesteps(t *testing.T, sampler, js string, n int) []float64 {
	t.Helper()
	cfg, err := ParseConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sampler, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTimesteps(n); err != nil {
		t.Fatal(err)
	}
	return s.Timesteps()
}

// The schedule numbers quoted in scheduler_cases.md (float32 values printed by numpy).
func TestUpstreamSigmaTables(t *testing.T) {
	for _, c := range []struct {
		name, sampler, json string
		sigmas, ts          []float64
	}{
		{"lms/linspace", "lms", kdiffBase + `}`,
			[]float64{261.05557, 81.40568, 29.112116, 11.912564, 5.5358195, 2.8648753, 1.5868177, 0.8740825, 0.40016323, 0.01000133, 0},
			[]float64{1099, 976.8889, 854.7778, 732.6667, 610.5555, 488.4445, 366.3333, 244.2222, 122.1111, 0}},
		{"lms/karras", "lms", kdiffBase + `, "use_karras_sigmas": true}`,
			[]float64{261.05557, 140.04826, 70.69541, 33.13921, 14.167905, 5.385187, 1.7522193, 0.45976958, 0.08781189, 0.01000133, 0},
			[]float64{1099, 1035.54, 961.0532, 871.1001, 757.835, 605.7829, 387.29605, 139.53793, 23.536718, 0}},
		{"dpm/linspace", "dpmsolver", `{}`,
			[]float64{157.40726, 60.271412, 25.528482, 11.93952, 6.135209, 3.442967, 2.041087, 1.2401613, 0.7235912, 0.34226012, 0.01000133}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(c.sampler, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetTimesteps(10); err != nil {
				t.Fatal(err)
			}
			if s.InitNoiseSigma() != s.Sigma(0) && c.sampler == "lms" {
				t.Errorf("init_noise_sigma %v, want sigma_0 %v", s.InitNoiseSigma(), s.Sigma(0))
			}
			for i, w := range c.sigmas {
				if g := float64(s.Sigma(i)); math.Abs(g-w) > 1e-6*math.Max(w, 1e-3) {
					t.Errorf("sigma %d = %.8g, want %.8g", i, g, w)
				}
			}
			for i, w := range c.ts {
				if g := s.Timesteps()[i]; math.Abs(g-w) > 1e-4*math.Max(w, 1) {
					t.Errorf("timestep %d = %.8g, want %.8g", i, g, w)
				}
			}
		})
	}
}
