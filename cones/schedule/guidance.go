package schedule

import "fmt"

// GuidanceSigmas returns the sigma that Cones 2's layout guidance uses at each of the first
// guidanceSteps steps (its edit is scaled by log(1 + sigma^2)). The official code does not read
// it from the sampling scheduler: it builds a second LMS scheduler with Stable Diffusion's betas
// (scaled_linear 0.00085..0.012, 1000 training steps, whatever the model's config says) set to
// guidanceSteps inference steps, and takes its sigmas[i]. When guidance covers fewer steps than
// the run (cases.json's run1: 8 of 20) these differ from the run's own Sigma(i); with equal
// counts and SD's betas they coincide. guidanceSteps = 0 gives none.
func GuidanceSigmas(guidanceSteps int) ([]float32, error) {
	if guidanceSteps == 0 {
		return nil, nil
	}
	cfg := DefaultConfig()
	cfg.BetaStart, cfg.BetaEnd, cfg.BetaSchedule = 0.00085, 0.012, BetaScaledLinear
	s, err := New("lms", cfg)
	if err != nil {
		return nil, fmt.Errorf("guidance sigmas: %w", err)
	}
	if err := s.SetTimesteps(guidanceSteps); err != nil {
		return nil, fmt.Errorf("guidance sigmas: %w", err)
	}
	return s.Sigmas()[:guidanceSteps], nil
}
