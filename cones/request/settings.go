package request

import (
	"fmt"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
)

// Resolve fills in the model's native size where the settings leave it 0 and checks them
// against the one set of limits (settings.Validate) with the model's size step and the samplers
// cones/schedule has.
func Resolve(s settings.Settings, m Model) (settings.Settings, error) {
	if m.Networks == nil {
		return s, errNoModel
	}
	if s.Width == 0 {
		s.Width = m.NativeSize()
	}
	if s.Height == 0 {
		s.Height = m.NativeSize()
	}
	if err := s.Validate(schedule.Names(), m.SizeStep()); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	return s, nil
}

// Scheduler builds a fresh sampler (samplers keep state across steps, so one per generation)
// from the model folder's scheduler config. "lms" is taken at order 1, as the official
// layout_guidance_sampling steps it.
func Scheduler(name string, cfg schedule.Config) (schedule.Scheduler, error) {
	var opts []schedule.Option
	if name == "lms" {
		opts = append(opts, schedule.LMSOrder(1))
	}
	s, err := schedule.New(name, cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("sampler: %w", err)
	}
	return s, nil
}
