package schedule

import (
	"fmt"
	"math"
)

// dpm is diffusers' DPMSolverMultistepScheduler: multistep DPM-Solver (noise prediction) or
// DPM-Solver++ (data prediction) of order 1-3, on the half-log-SNR lambda = log(alpha/sigma).
type dpm struct {
	vp
	order     int
	plusPlus  bool // dpmsolver++ (data prediction) rather than dpmsolver
	heun      bool // solver_type heun rather than midpoint
	lowerLast bool // lower_order_final
	lambda    []float32

	// Run state: the converted outputs of the last steps (newest last) and how many steps have
	// been taken, capped at the order (diffusers' lower_order_nums).
	outs     [][]float32
	lowerNum int
}

// newDPMPP2M is DPM-Solver++(2M): the config's algorithm and order are overridden.
func newDPMPP2M(ns *NoiseSchedule, cfg Config, o options) (Scheduler, error) {
	cfg.AlgorithmType, cfg.SolverOrder = "dpmsolver++", 2
	return newDPM("dpmpp2m", ns, cfg)
}

// newDPMSolver follows the config's algorithm_type and solver_order.
func newDPMSolver(ns *NoiseSchedule, cfg Config, o options) (Scheduler, error) {
	return newDPM("dpmsolver", ns, cfg)
}

func newDPM(name string, ns *NoiseSchedule, cfg Config) (Scheduler, error) {
	if cfg.Thresholding {
		return nil, &ConfigError{Field: "thresholding", Problem: "dynamic thresholding is not supported (it needs the batch shape and is meant for pixel-space models)"}
	}
	if err := checkSpacing(cfg, "linspace"); err != nil {
		return nil, err
	}
	return &dpm{
		vp:        vp{name: name, cfg: cfg, ns: ns},
		order:     cfg.SolverOrder,
		plusPlus:  cfg.AlgorithmType != "dpmsolver", // v0.13.1 maps "deis" to dpmsolver++
		heun:      cfg.SolverType == "heun",         // and logrho/bh1/bh2 to midpoint
		lowerLast: cfg.LowerOrderFinal,
	}, nil
}

func (s *dpm) SetTimesteps(n int) error {
	if err := s.setTimesteps(n); err != nil {
		return fmt.Errorf("%s: set timesteps: %w", s.name, err)
	}
	s.outs = make([][]float32, s.order)
	s.lowerNum = 0
	return nil
}

// setTimesteps: round(linspace(0, T-1, n+1)) from the top, without the final 0, ending at
// level t = 0 (v0.13.1); with use_karras_sigmas the levels are Karras sigmas and the timesteps
// their rounded fractional timesteps (later diffusers).
func (s *dpm) setTimesteps(n int) error {
	train := s.ns.Len()
	if err := checkSteps(n, train); err != nil {
		return err
	}
	if s.cfg.UseKarrasSigmas {
		if err := s.setKarras(n); err != nil {
			return err
		}
		return checkDistinct(s.timesteps)
	}
	grid := numpyLinspace(0, float64(train-1), n+1)
	ts := make([]int, n)
	for i := range ts {
		ts[i] = int(math.RoundToEven(grid[n-i]))
	}
	if err := checkDistinct(ts); err != nil {
		return err
	}
	if err := s.setLevels(ts, s.ns.alphaCumprod(0)); err != nil {
		return err
	}
	// v0.13.1 tables: alpha_t = sqrt(ab), sigma_t = sqrt(1-ab), lambda = log(alpha) - log(sigma).
	s.lambda = make([]float32, len(s.alpha))
	for i := range s.lambda {
		s.lambda[i] = log32(s.alpha[i]) - log32(s.sig[i])
	}
	return nil
}

func (s *dpm) setKarras(n int) error {
	full := s.ns.sigmas
	sig, err := KarrasSigmas(float64(full[0]), float64(full[len(full)-1]), n, 7)
	if err != nil {
		return err
	}
	logs := logTable(full)
	ts := make([]int, n)
	ks := make([]float32, n+1)
	for i, v := range sig {
		t := sigmaToT(v, logs)
		if s.cfg.BetaSchedule != BetaCosine { // diffusers keeps cosine timesteps fractional (then truncates)
			t = math.RoundToEven(t)
		}
		ts[i] = int(t)
		ks[i] = float32(v)
	}
	ks[n] = kSigma(s.ns.alphaCumprod(0))
	s.timesteps = ts
	s.ksig = ks
	s.alpha, s.sig, s.ab, s.lambda = make([]float32, n+1), make([]float32, n+1), make([]float32, n+1), make([]float32, n+1)
	for i, v := range ks {
		// later diffusers' _sigma_to_alpha_sigma_t: alpha = 1/sqrt(sigma^2+1), sigma_t = sigma*alpha.
		a := 1 / sqrt32(float32(v*v)+1)
		s.alpha[i], s.sig[i], s.ab[i] = a, v*a, float32(a*a)
		s.lambda[i] = log32(a) - log32(v*a)
	}
	return nil
}

// Step converts the model output (to x0 for DPM-Solver++, to eps for DPM-Solver), pushes it on
// the history and takes the multistep update of the order diffusers would use at this point.
func (s *dpm) Step(m, x []float32, i int) ([]float32, error) {
	if err := s.check(i, "model output", m, "x", x); err != nil {
		return nil, fmt.Errorf("%s: step: %w", s.name, err)
	}
	newest := s.outs[len(s.outs)-1]
	if newest != nil && len(newest) != len(x) {
		return nil, fmt.Errorf("%s: step: %w: latent has %d values, earlier steps had %d", s.name, ErrLength, len(x), len(newest))
	}
	n := len(s.timesteps)
	short := s.lowerLast && n < 15
	lastStep, secondLast := short && i == n-1, short && i == n-2
	conv := s.convert(m, x, i)
	copy(s.outs, s.outs[1:])
	s.outs[len(s.outs)-1] = conv

	var out []float32
	var err error
	switch {
	case s.order == 1 || s.lowerNum < 1 || lastStep:
		out = s.firstOrder(conv, x, i)
	case s.order == 2 || s.lowerNum < 2 || secondLast:
		out, err = s.secondOrder(x, i)
	default:
		out, err = s.thirdOrder(x, i)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: step: %w", s.name, err)
	}
	s.lowerNum = min(s.lowerNum+1, s.order)
	return out, nil
}

// convert is diffusers' convert_model_output for step i.
func (s *dpm) convert(m, x []float32, i int) []float32 {
	a, sg := s.alpha[i], s.sig[i]
	out := make([]float32, len(x))
	pred := s.cfg.PredictionType
	for j := range out {
		switch {
		case s.plusPlus && pred == PredictEpsilon:
			out[j] = (x[j] - float32(sg*m[j])) / a
		case s.plusPlus && pred == PredictV:
			out[j] = float32(a*x[j]) - float32(sg*m[j])
		case !s.plusPlus && pred == PredictSample:
			out[j] = (x[j] - float32(a*m[j])) / sg
		case !s.plusPlus && pred == PredictV:
			out[j] = float32(a*m[j]) + float32(sg*x[j])
		default: // dpmsolver++ with "sample", dpmsolver with "epsilon": already the right kind
			out[j] = m[j]
		}
	}
	return out
}

// level resolves a history index the way Python indexes timesteps[i-k]: negative wraps from
// the end of the schedule (which only a repeated first step reaches).
func (s *dpm) level(i int) (int, error) {
	n := len(s.timesteps)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, fmt.Errorf("%w: history index %d", ErrIndex, i)
	}
	return i, nil
}

// checkDistinct refuses a schedule that repeats a timestep: the step size in lambda would be 0
// (diffusers fails there too, looking the step up by its timestep).
func checkDistinct(ts []int) error {
	for i := 1; i < len(ts); i++ {
		if ts[i] == ts[i-1] {
			return fmt.Errorf("%w: %d steps repeat timestep %d; use fewer steps", ErrStepCount, len(ts), ts[i])
		}
	}
	return nil
}
