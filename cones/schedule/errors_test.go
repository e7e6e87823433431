package schedule

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestNewErrors(t *testing.T) {
	cfg := DefaultConfig()
	_, err := New("heun", cfg)
	if !errors.Is(err, ErrUnknownSampler) || !strings.Contains(err.Error(), "ddim, dpmpp2m, dpmsolver, euler, lms, pndm") {
		t.Errorf("unknown sampler: %v", err)
	}
	for _, c := range []struct {
		name, json string
		opts       []Option
	}{
		{"lms", `{}`, []Option{LMSOrder(0)}},
		{"lms", `{}`, []Option{LMSOrder(5)}},
		{"pndm", `{"prediction_type": "sample"}`, nil},
		{"dpmpp2m", `{"thresholding": true}`, nil},
		{"ddim", `{"timestep_spacing": "trailing"}`, nil},
		{"euler", `{"timestep_spacing": "leading"}`, nil},
		{"dpmsolver", `{"timestep_spacing": "leading"}`, nil},
	} {
		if _, err := New(c.name, mustParse(t, c.json), c.opts...); err == nil || !strings.HasPrefix(err.Error(), "scheduler "+c.name+": ") {
			t.Errorf("New(%s, %s): error %v", c.name, c.json, err)
		}
	}
	// An invalid Config is rejected by New as well, not only by ParseConfig.
	if _, err := New("lms", Config{}); err == nil {
		t.Error("New accepted the zero Config")
	}
	// The spacing that equals v0.13.1 behaviour is accepted.
	for name, sp := range map[string]string{"ddim": "leading", "pndm": "leading", "lms": "linspace", "euler": "linspace", "dpmpp2m": "linspace"} {
		if _, err := New(name, mustParse(t, `{"timestep_spacing": "`+sp+`"}`)); err != nil {
			t.Errorf("%s with timestep_spacing %s: %v", name, sp, err)
		}
	}
}

// Every sampler answers bad calls with errors, never a panic, and keeps working afterwards.
func TestSamplerErrors(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := New(name, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			x := []float32{0.5, -0.25, 1}
			if _, err := s.Step(x, x, 0); !errors.Is(err, ErrNoTimesteps) {
				t.Errorf("step before SetTimesteps: %v", err)
			}
			if _, err := s.ScaleModelInput(x, 0); !errors.Is(err, ErrNoTimesteps) {
				t.Errorf("scale before SetTimesteps: %v", err)
			}
			for _, n := range []int{0, -3, 1001} {
				if err := s.SetTimesteps(n); !errors.Is(err, ErrStepCount) {
					t.Errorf("SetTimesteps(%d): %v", n, err)
				}
			}
			if err := s.SetTimesteps(10); err != nil {
				t.Fatal(err)
			}
			n := len(s.Timesteps())
			for _, i := range []int{-1, n} {
				if _, err := s.Step(x, x, i); !errors.Is(err, ErrIndex) {
					t.Errorf("Step index %d: %v", i, err)
				}
				for what, f := range map[string]func([]float32, []float32, int) ([]float32, error){"AddNoise": s.AddNoise, "Renoise": s.Renoise} {
					if _, err := f(x, x, i); !errors.Is(err, ErrIndex) {
						t.Errorf("%s index %d: %v", what, i, err)
					}
				}
			}
			if !math.IsNaN(float64(s.Sigma(-1))) || !math.IsNaN(float64(s.Sigma(n+1))) || math.IsNaN(float64(s.Sigma(n))) {
				t.Errorf("Sigma range: %v %v %v", s.Sigma(-1), s.Sigma(n), s.Sigma(n+1))
			}
			for _, c := range [][2][]float32{{x, x[:2]}, {nil, nil}, {x[:2], x}} {
				if _, err := s.Step(c[0], c[1], 0); !errors.Is(err, ErrLength) {
					t.Errorf("Step lengths %d, %d: %v", len(c[0]), len(c[1]), err)
				}
				if _, err := s.AddNoise(c[0], c[1], 0); !errors.Is(err, ErrLength) {
					t.Errorf("AddNoise lengths %d, %d: %v", len(c[0]), len(c[1]), err)
				}
			}
			if _, err := s.Step(x, x, 0); err != nil {
				t.Fatalf("first step after errors: %v", err)
			}
			if name == "lms" || name == "pndm" || strings.HasPrefix(name, "dpm") {
				// Multistep history was built on 3 values: a latent of another size is refused.
				if _, err := s.Step(x[:2], x[:2], 1); !errors.Is(err, ErrLength) {
					t.Errorf("changed latent length: %v", err)
				}
			}
		})
	}
}

func TestNoiseScheduleErrors(t *testing.T) {
	ns, err := NewNoiseSchedule(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2}
	for _, tt := range []int{-1, 1000} {
		if _, err := ns.AddNoise(x, x, tt); err == nil {
			t.Errorf("AddNoise t=%d: no error", tt)
		}
		if _, err := ns.GetVelocity(x, x, tt); err == nil {
			t.Errorf("GetVelocity t=%d: no error", tt)
		}
		if !math.IsNaN(float64(ns.KSigma(tt))) {
			t.Errorf("KSigma(%d) not NaN", tt)
		}
	}
	if _, err := ns.AddNoise(x, x[:1], 5); !errors.Is(err, ErrLength) {
		t.Errorf("AddNoise length: %v", err)
	}
	if _, err := ns.GetVelocity(nil, nil, 5); !errors.Is(err, ErrLength) {
		t.Errorf("GetVelocity empty: %v", err)
	}
}

func TestStepCountLimits(t *testing.T) {
	// The PRK warm-up needs four base timesteps; DDIM's steps_offset must not push t past T-1.
	pndm, _ := New("pndm", DefaultConfig())
	if err := pndm.SetTimesteps(3); !errors.Is(err, ErrStepCount) {
		t.Errorf("pndm prk n=3: %v", err)
	}
	ddim, _ := New("ddim", mustParse(t, `{"steps_offset": 1}`))
	if err := ddim.SetTimesteps(1000); !errors.Is(err, ErrStepCount) {
		t.Errorf("ddim n=1000 offset 1: %v", err)
	}
	// DPM-Solver refuses step counts whose rounded timesteps repeat (h would be 0).
	dpm, _ := New("dpmpp2m", DefaultConfig())
	if err := dpm.SetTimesteps(1000); !errors.Is(err, ErrStepCount) {
		t.Errorf("dpm n=1000: %v", err)
	}
	// One step and (nearly) all training steps work for every sampler.
	for _, name := range Names() {
		s, _ := New(name, mustParse(t, `{"skip_prk_steps": true}`))
		steps := []int{1, 2, 1000}
		if strings.HasPrefix(name, "dpm") {
			steps[2] = 500
		}
		for _, n := range steps {
			if err := s.SetTimesteps(n); err != nil {
				t.Errorf("%s n=%d: %v", name, n, err)
				continue
			}
			x := []float32{0.3, -0.7}
			for i := range s.Timesteps() {
				var err error
				if x, err = s.Step([]float32{0.1, 0.2}, x, i); err != nil {
					t.Fatalf("%s n=%d step %d: %v", name, n, i, err)
				}
			}
			if math.IsNaN(float64(x[0])) || math.IsInf(float64(x[0]), 0) {
				t.Errorf("%s n=%d: result %v", name, n, x)
			}
		}
	}
}
