package schedule

import (
	"math"
	"slices"
	"testing"
)

// Renoise for LMS is the official self-recurrence: latents + sqrt(sigma_i^2 - sigma_{i+1}^2)*noise
// with float32 tensors, reproduced here bit for bit from the float32 sigmas.
func TestRenoiseKDiffusion(t *testing.T) {
	s := sdScheduler(t, "lms", LMSOrder(1))
	x, noise := []float32{0.5, -1.25, 3}, []float32{1, -0.5, 0.25}
	for _, i := range []int{0, 7, 49} {
		got, err := s.Renoise(x, noise, i)
		if err != nil {
			t.Fatal(err)
		}
		a, b := s.Sigma(i), s.Sigma(i+1)
		scale := float32(math.Sqrt(float64(float32(a*a) - float32(b*b))))
		for j := range x {
			if want := x[j] + float32(scale*noise[j]); got[j] != want {
				t.Fatalf("step %d: renoise %v, want %v", i, got[j], want)
			}
		}
	}
}

// For the variance-preserving samplers Renoise is the DDPM transition from level i+1 to level i:
// noising a clean x0 to level i+1 and renoising gives level i's mean, and its noise variance.
func TestRenoiseVP(t *testing.T) {
	for _, name := range []string{"ddim", "pndm", "dpmpp2m"} {
		s := sdScheduler(t, name)
		for _, i := range []int{0, 20, len(s.Timesteps()) - 1} {
			x0 := []float32{0.7}
			ab := func(k int) float64 { sg := float64(s.Sigma(k)); return 1 / (1 + sg*sg) }
			xi1, err := s.AddNoise(x0, []float32{0}, min(i+1, len(s.Timesteps())-1))
			if err != nil {
				t.Fatal(err)
			}
			if i+1 == len(s.Timesteps()) { // the end level has no AddNoise index: build it directly
				xi1 = []float32{float32(math.Sqrt(ab(i+1)) * 0.7)}
			}
			mean, err := s.Renoise(xi1, []float32{0}, i)
			if err != nil {
				t.Fatal(err)
			}
			unit, err := s.Renoise([]float32{0}, []float32{1}, i)
			if err != nil {
				t.Fatal(err)
			}
			wantMean := math.Sqrt(ab(i)) * 0.7
			// Variance after renoising: r*(1-ab_{i+1}) + (1-r) must equal 1-ab_i.
			r := ab(i) / ab(i+1)
			variance := r*(1-ab(i+1)) + float64(unit[0])*float64(unit[0])
			if math.Abs(float64(mean[0])-wantMean) > 2e-6 || math.Abs(variance-(1-ab(i))) > 2e-6 {
				t.Errorf("%s step %d: mean %.7g want %.7g, variance %.7g want %.7g", name, i, mean[0], wantMean, variance, 1-ab(i))
			}
		}
	}
}

// Calling Step twice for one index mirrors diffusers: stateless samplers repeat the same update,
// LMS appends both derivatives, so the next step uses them as the two newest history entries.
func TestStepTwiceSameIndex(t *testing.T) {
	x, m := []float32{0.9, -0.4}, []float32{0.3, 0.1}
	for _, name := range []string{"euler", "ddim"} {
		s := sdScheduler(t, name)
		a, _ := s.Step(m, x, 3)
		b, _ := s.Step(m, x, 3)
		if !slices.Equal(a, b) {
			t.Errorf("%s: repeated step differs: %v vs %v", name, a, b)
		}
	}
	s := sdScheduler(t, "lms", LMSOrder(4))
	l := s.(*lms)
	for i := range 3 {
		if _, err := s.Step(m, x, i); err != nil {
			t.Fatal(err)
		}
	}
	m2 := []float32{-0.2, 0.5}
	if _, err := s.Step(m2, x, 2); err != nil { // self-recurrence: step 2 again, new output
		t.Fatal(err)
	}
	if len(l.derivs) != 4 {
		t.Fatalf("history holds %d derivatives, want 4 (three steps plus the repeat)", len(l.derivs))
	}
	want := make([]float32, 2)
	derivative(want, m2, x, l.sigmas[2], PredictEpsilon)
	if !slices.Equal(l.derivs[3], want) {
		t.Errorf("newest derivative %v, want the repeat's %v", l.derivs[3], want)
	}
	// Step 3 integrates over sigma_3..sigma_4 with the four newest derivatives, newest first.
	d3 := make([]float32, 2)
	derivative(d3, m, x, l.sigmas[3], PredictEpsilon)
	hist := [][]float32{d3, l.derivs[3], l.derivs[2], l.derivs[1]}
	got, err := s.Step(m, x, 3)
	if err != nil {
		t.Fatal(err)
	}
	for j := range x {
		acc := float32(0)
		for c := range 4 {
			acc += float32(float32(lmsCoefficient(l.sigmas, 3, 4, c)) * hist[c][j])
		}
		if want := x[j] + acc; got[j] != want {
			t.Errorf("element %d: %v, want %v", j, got[j], want)
		}
	}
}

// The LMS coefficients integrate Lagrange basis polynomials: they sum to sigma_{i+1} - sigma_i
// (the basis sums to 1), and order 1 is exactly Euler.
func TestLMSCoefficients(t *testing.T) {
	s := sdScheduler(t, "lms")
	sig := s.Sigmas()
	for _, i := range []int{3, 10, 49} {
		for order := 1; order <= 4; order++ {
			sum := 0.0
			for c := range order {
				sum += lmsCoefficient(sig, i, order, c)
			}
			want := float64(sig[i+1]) - float64(sig[i])
			if math.Abs(sum-want) > 1e-12*math.Abs(want)+1e-15 {
				t.Errorf("i=%d order=%d: coefficients sum to %.15g, want %.15g", i, order, sum, want)
			}
		}
	}
	lms1, eul := sdScheduler(t, "lms", LMSOrder(1)), sdScheduler(t, "euler")
	x, m := []float32{2.5, -3}, []float32{0.4, 0.8}
	for i := range 50 {
		a, _ := lms1.Step(m, x, i)
		b, _ := eul.Step(m, x, i)
		if !slices.Equal(a, b) {
			t.Fatalf("step %d: lms order 1 %v, euler %v", i, a, b)
		}
	}
}

// sdScheduler is a sampler on the Stable Diffusion schedule with 50 steps set.
func sdScheduler(t *testing.T, name string, opts ...Option) Scheduler {
	t.Helper()
	cfg := mustParse(t, `{"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "clip_sample": false}`)
	s, err := New(name, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTimesteps(50); err != nil {
		t.Fatal(err)
	}
	return s
}
