package sample

import (
	"context"
	"errors"
	"fmt"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/schedule"
)

// Step describes one model evaluation the loop asks the Denoiser for.
type Step struct {
	Index    int     // step index in [0, Total): position in the sampler's timesteps
	Total    int     // number of inference steps
	Pass     int     // 0, or 1 for the self-recurrence pass of a guided step
	Timestep float64 // the UNet's timestep input (fractional for LMS and Euler)
	// Guided asks for layout guidance in the conditional branch's cross-attention, with the
	// strength guidance_weight·log(1+GuideSigma²).
	Guided     bool
	GuideSigma float32 // the official guidance sigma of this step; 0 when not Guided
}

// Denoiser is the model side of the loop: the engine's UNet with classifier-free guidance.
type Denoiser interface {
	// Denoise returns the model output for the scaled latents x (the sampler's
	// ScaleModelInput of the current latents), combined over the unconditional and conditional
	// branches as out = uncond + cfg·(cond − uncond), in the model's own parameterisation
	// (epsilon or v: the sampler converts). When s.Guided, the conditional branch gets layout
	// guidance with strength guidance_weight·log(1+s.GuideSigma²); the unconditional branch is
	// never edited. It must return len(x) values, must not keep x, and should return promptly
	// with ctx's error when ctx is cancelled.
	Denoise(ctx context.Context, x []float32, s Step) ([]float32, error)
}

// Progress is reported after every step.
type Progress struct {
	Step, Total int
	// Latents are the latents after the step. They are the loop's own: read them (for a
	// preview) during the callback, do not keep or change them.
	Latents []float32
}

// Config is one sampling run.
type Config struct {
	// Scheduler is the sampler (its configuration decides epsilon or v prediction). Run calls
	// SetTimesteps(Steps) on it, which resets its history.
	Scheduler schedule.Scheduler
	Steps     int // inference steps (official default 50)
	// GuidanceSteps is how many leading steps get layout guidance and self-recurrence (official
	// default 50); it is clamped to Steps, and 0 samples without guidance.
	GuidanceSteps int
	// Noise draws the initial latent first, then one latent per self-recurrence.
	Noise noise.Source
	// LatentLen is the number of latent values (channels × height × width × batch).
	LatentLen int
	// OnStep, when not nil, is called after every step.
	OnStep func(Progress)
}

// ErrConfig marks a Config that cannot run.
var ErrConfig = errors.New("sample: bad configuration")

// Run runs the loop and returns the final latents.
func Run(ctx context.Context, d Denoiser, c Config) ([]float32, error) {
	guide, err := c.prepare()
	if err != nil {
		return nil, err
	}
	x := make([]float32, c.LatentLen)
	if err := c.Noise.Normal(x); err != nil {
		return nil, fmt.Errorf("sample: initial noise: %w", err)
	}
	init := c.Scheduler.InitNoiseSigma()
	for j := range x {
		x[j] *= init
	}
	timesteps := c.Scheduler.Timesteps()
	for i, t := range timesteps {
		passes := 1
		s := Step{Index: i, Total: len(timesteps), Timestep: t}
		if guide != nil && i < c.GuidanceSteps {
			passes, s.Guided, s.GuideSigma = 2, true, guide.Sigma(i)
		}
		for pass := 0; pass < passes; pass++ {
			s.Pass = pass
			if x, err = c.step(ctx, d, x, s); err != nil {
				return nil, err
			}
			if pass == 0 && passes > 1 {
				if x, err = c.renoise(x, i); err != nil {
					return nil, err
				}
			}
		}
		if c.OnStep != nil {
			c.OnStep(Progress{Step: i, Total: len(timesteps), Latents: x})
		}
	}
	return x, nil
}

// prepare validates c, sets the sampler's timesteps and returns the guidance schedule (nil when
// no step is guided).
func (c *Config) prepare() (schedule.Scheduler, error) {
	switch {
	case c.Scheduler == nil:
		return nil, fmt.Errorf("%w: no scheduler", ErrConfig)
	case c.Noise == nil:
		return nil, fmt.Errorf("%w: no noise source", ErrConfig)
	case c.LatentLen <= 0:
		return nil, fmt.Errorf("%w: latent length %d", ErrConfig, c.LatentLen)
	case c.Steps <= 0:
		return nil, fmt.Errorf("%w: %d inference steps", ErrConfig, c.Steps)
	case c.GuidanceSteps < 0:
		return nil, fmt.Errorf("%w: %d guidance steps", ErrConfig, c.GuidanceSteps)
	}
	if err := c.Scheduler.SetTimesteps(c.Steps); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	c.GuidanceSteps = min(c.GuidanceSteps, c.Steps)
	if c.GuidanceSteps == 0 {
		return nil, nil
	}
	return GuidanceSchedule(c.GuidanceSteps)
}

// step evaluates the model on x at s and takes the sampler's step.
func (c *Config) step(ctx context.Context, d Denoiser, x []float32, s Step) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sample: step %d/%d: %w", s.Index+1, s.Total, err)
	}
	in, err := c.Scheduler.ScaleModelInput(x, s.Index)
	if err != nil {
		return nil, fmt.Errorf("sample: step %d: %w", s.Index+1, err)
	}
	out, err := d.Denoise(ctx, in, s)
	if err != nil {
		return nil, fmt.Errorf("sample: step %d/%d: %w", s.Index+1, s.Total, err)
	}
	if len(out) != len(x) {
		return nil, fmt.Errorf("sample: step %d: the denoiser returned %d values for %d latents", s.Index+1, len(out), len(x))
	}
	next, err := c.Scheduler.Step(out, x, s.Index)
	if err != nil {
		return nil, fmt.Errorf("sample: step %d: %w", s.Index+1, err)
	}
	return next, nil
}

// renoise draws fresh noise and takes x back to the noise level before step i.
func (c *Config) renoise(x []float32, i int) ([]float32, error) {
	z := make([]float32, len(x))
	if err := c.Noise.Normal(z); err != nil {
		return nil, fmt.Errorf("sample: self-recurrence noise at step %d: %w", i+1, err)
	}
	out, err := c.Scheduler.Renoise(x, z, i)
	if err != nil {
		return nil, fmt.Errorf("sample: step %d: %w", i+1, err)
	}
	return out, nil
}

// GuidanceSchedule is the schedule whose sigmas scale the layout edit: the official code builds
// an LMSDiscreteScheduler with Stable Diffusion's betas (scaled_linear 0.00085..0.012, 1000
// steps) and sets it to the number of guided steps, whatever the model's scheduler is.
func GuidanceSchedule(guidanceSteps int) (schedule.Scheduler, error) {
	cfg := schedule.DefaultConfig()
	cfg.BetaStart, cfg.BetaEnd, cfg.BetaSchedule = 0.00085, 0.012, schedule.BetaScaledLinear
	s, err := schedule.New("lms", cfg, schedule.LMSOrder(1))
	if err != nil {
		return nil, fmt.Errorf("sample: guidance schedule: %w", err)
	}
	if err := s.SetTimesteps(guidanceSteps); err != nil {
		return nil, fmt.Errorf("sample: guidance schedule: %w", err)
	}
	return s, nil
}
