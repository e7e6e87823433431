package schedule

import (
	"fmt"
	"slices"
	"strings"
)

// Scheduler is the state of one sampling run of one sampler. It works on flat float32 latents
// (any shape, element-wise); every slice it returns is new, and it keeps no reference to the
// caller's slices. Methods never panic on bad input: they return an error (or NaN from Sigma).
//
// Step index i is the position in Timesteps(), and Step(m, x, i) does exactly what diffusers'
// scheduler.step(m, timesteps[i], x) does on the same object, state included. In particular Step
// may be called twice for the same index (Cones 2's self-recurrence does): like diffusers, the
// second call is a new step for the multistep state. LMS appends a second derivative to its
// history, DPM-Solver shifts its model-output history (and at i = 0 takes its previous timestep
// from the end of the schedule, as Python's timesteps[-1] does), PNDM advances its counter;
// DDIM and Euler keep no history, so a repeated call repeats the same update.
type Scheduler interface {
	// Name is the sampler name given to New.
	Name() string
	// Config is the configuration the scheduler was built from (a copy).
	Config() Config
	// NoiseSchedule is the training schedule (alphas_cumprod) the sampler works on.
	NoiseSchedule() *NoiseSchedule

	// SetTimesteps prepares a run of n inference steps and resets all history.
	SetTimesteps(n int) error
	// Timesteps are the model's timestep inputs, one per Step (fractional for LMS and Euler).
	Timesteps() []float64
	// Sigmas are the noise levels as k-diffusion sigmas: len(Timesteps())+1 values, Sigmas()[i]
	// before step i and Sigmas()[i+1] after it (the last one is where the run ends).
	Sigmas() []float32
	// Sigma is Sigmas()[i], or NaN when i is out of [0, len(Timesteps())].
	Sigma(i int) float32
	// InitNoiseSigma scales unit Gaussian noise into the first latent.
	InitNoiseSigma() float32

	// ScaleModelInput is the model input for step i (LMS and Euler divide by sqrt(sigma^2+1);
	// the others return a copy of x).
	ScaleModelInput(x []float32, i int) ([]float32, error)
	// Step takes the model output at step i and the current latent and returns the latent at the
	// next noise level.
	Step(modelOut, x []float32, i int) ([]float32, error)
	// AddNoise noises a clean x0 to the level of step i the way this scheduler's add_noise does
	// (img2img): x0 + sigma_i*noise for LMS and Euler, the DDPM forward process otherwise.
	AddNoise(x0, noise []float32, i int) ([]float32, error)
	// Renoise takes a latent at the level after step i back to the level before it with fresh
	// unit noise, for self-recurrence: x + sqrt(sigma_i^2 - sigma_{i+1}^2)*noise for LMS and
	// Euler (exactly the official Cones 2 code), the DDPM transition between the two alphas_cumprod
	// otherwise.
	Renoise(x, noise []float32, i int) ([]float32, error)
}

// Option adjusts a sampler beyond its Config: the step-time arguments of diffusers.
type Option func(*options) error

type options struct {
	lmsOrder int
}

// LMSOrder sets the order k (1..4) of the LMS sampler, diffusers' step(..., order=k); the default
// is diffusers' 4. Cones 2 samples with order 1.
func LMSOrder(k int) Option {
	return func(o *options) error {
		if k < 1 || k > 4 {
			return fmt.Errorf("lms order %d is not in 1..4", k)
		}
		o.lmsOrder = k
		return nil
	}
}

type constructor func(ns *NoiseSchedule, cfg Config, o options) (Scheduler, error)

// samplers maps each sampler name to its constructor (read-only after init).
var samplers = map[string]constructor{
	"lms":       newLMS,
	"euler":     newEuler,
	"ddim":      newDDIM,
	"dpmpp2m":   newDPMPP2M,
	"dpmsolver": newDPMSolver,
	"pndm":      newPNDM,
}

// Names lists the sampler names New accepts, sorted.
func Names() []string {
	out := make([]string, 0, len(samplers))
	for n := range samplers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// New builds the sampler called name ("lms", "euler", "ddim", "dpmpp2m", "dpmsolver", "pndm")
// from cfg. "dpmpp2m" is DPM-Solver++ of order 2 whatever cfg says; "dpmsolver" follows cfg's
// algorithm_type and solver_order. Call SetTimesteps before stepping.
func New(name string, cfg Config, opts ...Option) (Scheduler, error) {
	ctor, ok := samplers[name]
	if !ok {
		return nil, fmt.Errorf("scheduler %q: %w (choose one of %s)", name, ErrUnknownSampler, strings.Join(Names(), ", "))
	}
	o := options{lmsOrder: 4}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("scheduler %s: %w", name, err)
		}
	}
	ns, err := NewNoiseSchedule(cfg)
	if err != nil {
		return nil, fmt.Errorf("scheduler %s: %w", name, err)
	}
	s, err := ctor(ns, cfg, o)
	if err != nil {
		return nil, fmt.Errorf("scheduler %s: %w", name, err)
	}
	return s, nil
}

// checkSteps validates an inference step count against the training length.
func checkSteps(n, train int) error {
	if n < 1 || n > train {
		return fmt.Errorf("%w: %d, want 1..%d (num_train_timesteps)", ErrStepCount, n, train)
	}
	return nil
}

// checkSpacing accepts timestep_spacing only when it names the sampler's v0.13.1 behaviour.
func checkSpacing(cfg Config, want string) error {
	if cfg.TimestepSpacing != "" && cfg.TimestepSpacing != want {
		return &ConfigError{Field: "timestep_spacing", Problem: fmt.Sprintf("%q is not supported by this sampler (diffusers v0.13.1 uses %q)", cfg.TimestepSpacing, want)}
	}
	return nil
}
