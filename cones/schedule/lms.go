package schedule

import (
	"fmt"
	"slices"
)

// lms is diffusers' LMSDiscreteScheduler: k-diffusion linear multistep of order up to 4 on
// the derivatives of the last steps.
type lms struct {
	kdiff
	order  int
	derivs [][]float32 // oldest first, at most order of them
}

func newLMS(ns *NoiseSchedule, cfg Config, o options) (Scheduler, error) {
	k, err := newKdiff("lms", ns, cfg)
	if err != nil {
		return nil, err
	}
	return &lms{kdiff: k, order: o.lmsOrder}, nil
}

func (s *lms) SetTimesteps(n int) error {
	if err := s.setTimesteps(n); err != nil {
		return fmt.Errorf("lms: set timesteps: %w", err)
	}
	s.derivs = nil
	return nil
}

// Step appends the derivative at step i to the history (twice if called twice, like diffusers)
// and integrates the Lagrange polynomial through the newest derivatives from sigma_i to
// sigma_{i+1}. The order is min(i+1, k); when the history is shorter than that (a run that
// starts mid-schedule) only the available derivatives are used, as diffusers' zip does.
func (s *lms) Step(m, x []float32, i int) ([]float32, error) {
	if err := s.check(i, "model output", m, "x", x); err != nil {
		return nil, fmt.Errorf("lms: step: %w", err)
	}
	if len(s.derivs) > 0 && len(s.derivs[0]) != len(x) {
		return nil, fmt.Errorf("lms: step: %w: latent has %d values, earlier steps had %d", ErrLength, len(x), len(s.derivs[0]))
	}
	d := make([]float32, len(x))
	derivative(d, m, x, s.sigmas[i], s.cfg.PredictionType)
	s.derivs = append(s.derivs, d)
	if len(s.derivs) > s.order {
		s.derivs = slices.Delete(s.derivs, 0, 1)
	}
	order := min(i+1, s.order)
	coeffs := make([]float32, order)
	for c := range coeffs {
		// torch multiplies a Python float by a float32 tensor in float32.
		coeffs[c] = float32(lmsCoefficient(s.sigmas, i, order, c))
	}
	terms := min(order, len(s.derivs))
	out := make([]float32, len(x))
	newest := len(s.derivs) - 1
	for j := range out {
		acc := float32(coeffs[0] * s.derivs[newest][j])
		for c := 1; c < terms; c++ {
			acc += float32(coeffs[c] * s.derivs[newest-c][j])
		}
		out[j] = x[j] + acc
	}
	return out, nil
}

// lmsCoefficient integrates, from sigma_i to sigma_{i+1}, the Lagrange basis polynomial that is 1
// at sigma_{i-c} and 0 at the other sigma_{i-j}, j < order. diffusers integrates it numerically
// (scipy quad); the polynomial has degree <= 3, so 3-point Gauss-Legendre in float64 is exact.
func lmsCoefficient(sig []float32, i, order, c int) float64 {
	basis := func(tau float64) float64 {
		p := 1.0
		for j := 0; j < order; j++ {
			if j == c {
				continue
			}
			p *= (tau - float64(sig[i-j])) / (float64(sig[i-c]) - float64(sig[i-j]))
		}
		return p
	}
	a, b := float64(sig[i]), float64(sig[i+1])
	mid, half := (a+b)/2, (b-a)/2
	nodes := [3]float64{-0.7745966692414834, 0, 0.7745966692414834}
	weights := [3]float64{5.0 / 9, 8.0 / 9, 5.0 / 9}
	sum := 0.0
	for q, x := range nodes {
		sum += weights[q] * basis(mid+half*x)
	}
	return sum * half
}
