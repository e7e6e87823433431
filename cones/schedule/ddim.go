package schedule

import "fmt"

// ddim is diffusers' DDIMScheduler with eta = 0 (deterministic), "leading" timesteps
// (multiples of T/n plus steps_offset).
type ddim struct {
	vp
	final float32 // final_alpha_cumprod
	clip  bool
}

func newDDIM(ns *NoiseSchedule, cfg Config, _ options) (Scheduler, error) {
	if err := checkSpacing(cfg, "leading"); err != nil {
		return nil, err
	}
	return &ddim{
		vp:    vp{name: "ddim", cfg: cfg, ns: ns},
		final: finalAlphaCumprod(ns, cfg, true),
		clip:  boolOr(cfg.ClipSample, true),
	}, nil
}

func (s *ddim) SetTimesteps(n int) error {
	if err := s.setTimesteps(n); err != nil {
		return fmt.Errorf("ddim: set timesteps: %w", err)
	}
	return nil
}

func (s *ddim) setTimesteps(n int) error {
	train := s.ns.Len()
	if err := checkSteps(n, train); err != nil {
		return err
	}
	ratio := train / n
	ts := make([]int, n)
	for i := range ts {
		ts[i] = (n-1-i)*ratio + s.cfg.StepsOffset
	}
	return s.setLevels(ts, s.prevAlphaCumprod(ts[n-1]-ratio, s.final))
}

// Step is DDIM's formula (12) with sigma_t = 0: predict x0 (clamped to [-1, 1] with
// clip_sample), then x_prev = sqrt(ab_prev)*x0 + sqrt(1-ab_prev)*eps.
func (s *ddim) Step(m, x []float32, i int) ([]float32, error) {
	if err := s.check(i, "model output", m, "x", x); err != nil {
		return nil, fmt.Errorf("ddim: step: %w", err)
	}
	a, ap := s.ab[i], s.ab[i+1]
	sa, sb := s.alpha[i], sqrt32(1-a)
	// (1 - ab_prev - std^2) ** 0.5 with std = 0, and ab_prev ** 0.5.
	dirC, x0C := sqrt32(1-ap), sqrt32(ap)
	out := make([]float32, len(x))
	for j := range out {
		var x0, eps float32
		switch s.cfg.PredictionType {
		case PredictV:
			x0 = float32(sa*x[j]) - float32(sb*m[j])
			eps = float32(sa*m[j]) + float32(sb*x[j])
		case PredictSample:
			x0, eps = m[j], m[j]
		default:
			x0 = (x[j] - float32(sb*m[j])) / sa
			eps = m[j]
		}
		if s.clip {
			x0 = min(max(x0, -1), 1)
		}
		out[j] = float32(x0C*x0) + float32(dirC*eps)
	}
	return out, nil
}
