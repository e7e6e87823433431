package schedule

import "fmt"

// euler is diffusers' EulerDiscreteScheduler with s_churn = 0 (the deterministic Euler method of
// Karras et al. Algorithm 2; the churn needs fresh noise and Stable Diffusion pipelines leave it
// off).
type euler struct{ kdiff }

func newEuler(ns *NoiseSchedule, cfg Config, _ options) (Scheduler, error) {
	k, err := newKdiff("euler", ns, cfg)
	if err != nil {
		return nil, err
	}
	return &euler{k}, nil
}

func (s *euler) SetTimesteps(n int) error {
	if err := s.setTimesteps(n); err != nil {
		return fmt.Errorf("euler: set timesteps: %w", err)
	}
	return nil
}

// Step is x + d * (sigma_{i+1} - sigma_i) with d the ODE derivative; it keeps no state.
func (s *euler) Step(m, x []float32, i int) ([]float32, error) {
	if err := s.check(i, "model output", m, "x", x); err != nil {
		return nil, fmt.Errorf("euler: step: %w", err)
	}
	sigma := s.sigmas[i]
	out := make([]float32, len(x))
	derivative(out, m, x, sigma, s.cfg.PredictionType)
	dt := s.sigmas[i+1] - sigma
	for j, d := range out {
		out[j] = x[j] + float32(d*dt)
	}
	return out, nil
}
