package schedule

import (
	"fmt"
	"math"
)

// NoiseSchedule is the training noise schedule shared by every sampler: the betas, the
// cumulative alphas and the k-diffusion sigma of every training timestep, all float32 as diffusers
// stores them. It is immutable once built and safe to share between runs.
type NoiseSchedule struct {
	betas         []float32
	alphasCumprod []float32
	sigmas        []float32 // sqrt((1-ac)/ac) per training timestep, ascending in t
}

// NewNoiseSchedule builds the schedule of cfg (which must be valid).
func NewNoiseSchedule(cfg Config) (*NoiseSchedule, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	betas := makeBetas(cfg)
	for i, b := range betas {
		// Validate checks the float64 inputs; this catches values that round to 0 or 1.
		if !(b > 0 && b < 1) {
			return nil, &ConfigError{Field: "betas", Problem: fmt.Sprintf("beta %d is %g in float32, want 0 < beta < 1", i, b)}
		}
	}
	ac := make([]float32, len(betas))
	// torch.cumprod on the CPU accumulates in float64 and stores float32; a float32 running
	// product drifts by ~6e-5 over 1000 steps.
	acc := 1.0
	for i, b := range betas {
		acc *= float64(1 - b)
		ac[i] = float32(acc)
		if ac[i] == 0 {
			return nil, &ConfigError{Field: "betas", Problem: fmt.Sprintf("alphas_cumprod underflows to 0 at timestep %d", i)}
		}
	}
	sig := make([]float32, len(ac))
	for i, a := range ac {
		sig[i] = kSigma(a)
	}
	return &NoiseSchedule{betas: betas, alphasCumprod: ac, sigmas: sig}, nil
}

func makeBetas(cfg Config) []float32 {
	n := cfg.NumTrainTimesteps
	if cfg.TrainedBetas != nil {
		out := make([]float32, n)
		for i, b := range cfg.TrainedBetas {
			out[i] = float32(b)
		}
		return out
	}
	switch cfg.BetaSchedule {
	case BetaScaledLinear:
		// The latent-diffusion schedule: linear in sqrt(beta), squared in float32.
		out := torchLinspace32(math.Sqrt(cfg.BetaStart), math.Sqrt(cfg.BetaEnd), n)
		for i, v := range out {
			out[i] = v * v
		}
		return out
	case BetaCosine:
		return cosineBetas(n, 0.999)
	default:
		return torchLinspace32(cfg.BetaStart, cfg.BetaEnd, n)
	}
}

// cosineBetas is the Glide/improved-DDPM "squaredcos_cap_v2" schedule, computed in float64 and
// stored as float32 like diffusers' betas_for_alpha_bar.
func cosineBetas(n int, maxBeta float64) []float32 {
	alphaBar := func(t float64) float64 {
		c := math.Cos((t + 0.008) / 1.008 * math.Pi / 2)
		return c * c
	}
	out := make([]float32, n)
	for i := range out {
		t1 := float64(i) / float64(n)
		t2 := float64(i+1) / float64(n)
		out[i] = float32(math.Min(1-alphaBar(t2)/alphaBar(t1), maxBeta))
	}
	return out
}

// Len is the number of training timesteps.
func (s *NoiseSchedule) Len() int { return len(s.alphasCumprod) }

// Betas returns a copy of the betas.
func (s *NoiseSchedule) Betas() []float32 { return append([]float32(nil), s.betas...) }

// AlphasCumprod returns a copy of the cumulative alpha products (alpha-bar) per timestep.
func (s *NoiseSchedule) AlphasCumprod() []float32 { return append([]float32(nil), s.alphasCumprod...) }

// AlphaCumprod is alpha-bar at training timestep t (no range check: callers validate t).
func (s *NoiseSchedule) alphaCumprod(t int) float32 { return s.alphasCumprod[t] }

// KSigma is the k-diffusion noise level sqrt((1-alpha-bar)/alpha-bar) at training timestep t, or
// NaN when t is out of range.
func (s *NoiseSchedule) KSigma(t int) float32 {
	if t < 0 || t >= len(s.sigmas) {
		return float32(math.NaN())
	}
	return s.sigmas[t]
}

func (s *NoiseSchedule) checkT(t int) error {
	if t < 0 || t >= len(s.alphasCumprod) {
		return fmt.Errorf("timestep %d outside [0, %d)", t, len(s.alphasCumprod))
	}
	return nil
}

// vpCoeffs returns sqrt(alpha-bar) and sqrt(1 - alpha-bar) at t, as diffusers' add_noise does.
func (s *NoiseSchedule) vpCoeffs(t int) (float32, float32) {
	a := s.alphasCumprod[t]
	return sqrt32(a), sqrt32(1 - a)
}

// AddNoise is the DDPM forward process at training timestep t:
// sqrt(alpha-bar_t) * x0 + sqrt(1 - alpha-bar_t) * noise (diffusers' add_noise of DDPM, DDIM,
// PNDM and DPM-Solver). It returns a new slice.
func (s *NoiseSchedule) AddNoise(x0, noise []float32, t int) ([]float32, error) {
	if err := s.checkT(t); err != nil {
		return nil, fmt.Errorf("add noise: %w", err)
	}
	if err := checkPair("x0", x0, "noise", noise); err != nil {
		return nil, fmt.Errorf("add noise: %w", err)
	}
	sa, sb := s.vpCoeffs(t)
	return axpby(sa, x0, sb, noise), nil
}

// GetVelocity is the v-prediction training target at timestep t:
// sqrt(alpha-bar_t) * noise - sqrt(1 - alpha-bar_t) * x0. It returns a new slice.
func (s *NoiseSchedule) GetVelocity(x0, noise []float32, t int) ([]float32, error) {
	if err := s.checkT(t); err != nil {
		return nil, fmt.Errorf("get velocity: %w", err)
	}
	if err := checkPair("x0", x0, "noise", noise); err != nil {
		return nil, fmt.Errorf("get velocity: %w", err)
	}
	sa, sb := s.vpCoeffs(t)
	out := make([]float32, len(x0))
	for k := range out {
		out[k] = float32(sa*noise[k]) - float32(sb*x0[k])
	}
	return out, nil
}

// axpby returns a*x + b*y element-wise in float32, each product rounded before the sum.
func axpby(a float32, x []float32, b float32, y []float32) []float32 {
	out := make([]float32, len(x))
	for k := range out {
		out[k] = float32(a*x[k]) + float32(b*y[k])
	}
	return out
}
