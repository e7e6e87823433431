package schedule

import (
	"fmt"
	"slices"
)

// pndm is diffusers' PNDMScheduler: four Runge-Kutta warm-up steps (PRK, three model calls
// each) then 4th-order linear multistep (PLMS); with skip_prk_steps (Stable Diffusion's setting)
// PLMS starts at once with the lower-order Adams-Bashforth warm-up of crowsonkb's PLMS.
type pndm struct {
	vp
	final    float32
	ratio    int // num_train_timesteps // n
	prkCount int // number of PRK entries at the start of timesteps

	// Run state, as in diffusers: the call counter, the stored model outputs, the sample a
	// multi-call step restarts from, and the running Runge-Kutta sum.
	counter int
	ets     [][]float32
	cur     []float32
	curMO   []float32
}

func newPNDM(ns *NoiseSchedule, cfg Config, _ options) (Scheduler, error) {
	if cfg.PredictionType == PredictSample {
		return nil, &ConfigError{Field: "prediction_type", Problem: `"sample" is not supported by PNDM (epsilon or v_prediction)`}
	}
	if err := checkSpacing(cfg, "leading"); err != nil {
		return nil, err
	}
	return &pndm{vp: vp{name: "pndm", cfg: cfg, ns: ns}, final: finalAlphaCumprod(ns, cfg, false)}, nil
}

func (s *pndm) SetTimesteps(n int) error {
	if err := s.setTimesteps(n); err != nil {
		return fmt.Errorf("pndm: set timesteps: %w", err)
	}
	return nil
}

func (s *pndm) setTimesteps(n int) error {
	train := s.ns.Len()
	if err := checkSteps(n, train); err != nil {
		return err
	}
	if !s.cfg.SkipPRKSteps && n < 4 {
		return fmt.Errorf("%w: %d, the Runge-Kutta warm-up needs at least 4 (or skip_prk_steps)", ErrStepCount, n)
	}
	ratio := train / n
	base := make([]int, n) // _timesteps, ascending
	for i := range base {
		base[i] = i*ratio + s.cfg.StepsOffset
	}
	var prk, plms []int
	if s.cfg.SkipPRKSteps {
		// [t_0 .. t_{n-2}, t_{n-2}, t_{n-1}] reversed: the second-highest timestep twice.
		plms = append(slices.Clone(base[:n-1]), base[max(n-2, 0):n-1]...)
		plms = append(plms, base[n-1])
	} else {
		prk = prkTimesteps(base[n-4:], ratio/2)
		plms = slices.Clone(base[:n-3])
	}
	slices.Reverse(plms)
	ts := append(prk, plms...)
	last := ts[len(ts)-1] - ratio
	if err := s.setLevels(ts, s.prevAlphaCumprod(last, s.final)); err != nil {
		return err
	}
	s.ratio, s.prkCount = ratio, len(prk)
	s.counter, s.ets, s.cur, s.curMO = 0, nil, nil, nil
	return nil
}

// prkTimesteps lays out the Runge-Kutta calls over the last four base timesteps t (ascending):
// each t and its midpoint t+half, every interior point twice, highest first.
func prkTimesteps(t []int, half int) []int {
	var pts []int
	for _, v := range t {
		pts = append(pts, v, v+half)
	}
	pts = pts[:len(pts)-1]
	var rep []int
	for _, v := range pts {
		rep = append(rep, v, v)
	}
	rep = rep[1 : len(rep)-1]
	slices.Reverse(rep)
	return rep
}

// Step dispatches on the call counter like diffusers (not on i): Runge-Kutta while the warm-up
// lasts, linear multistep afterwards.
func (s *pndm) Step(m, x []float32, i int) ([]float32, error) {
	if err := s.check(i, "model output", m, "x", x); err != nil {
		return nil, fmt.Errorf("pndm: step: %w", err)
	}
	if len(s.ets) > 0 && len(s.ets[0]) != len(x) {
		return nil, fmt.Errorf("pndm: step: %w: latent has %d values, earlier steps had %d", ErrLength, len(x), len(s.ets[0]))
	}
	var out []float32
	var err error
	if s.counter < s.prkCount && !s.cfg.SkipPRKSteps {
		out, err = s.stepPRK(m, x, s.timesteps[i])
	} else {
		out, err = s.stepPLMS(m, x, s.timesteps[i])
	}
	if err != nil {
		return nil, fmt.Errorf("pndm: step %d: %w", i, err)
	}
	return out, nil
}

func (s *pndm) stepPRK(m, x []float32, t int) ([]float32, error) {
	diff := s.ratio / 2
	if s.counter%2 == 1 {
		diff = 0
	}
	prevT := t - diff
	t = s.timesteps[s.counter/4*4]
	const sixth, third = float32(1.0 / 6), float32(1.0 / 3)
	e := m
	switch s.counter % 4 {
	case 0:
		s.curMO = scaled(sixth, m)
		s.ets = append(s.ets, slices.Clone(m))
		s.cur = slices.Clone(x)
	case 1, 2:
		for j := range s.curMO {
			s.curMO[j] += float32(third * m[j])
		}
	case 3:
		e = make([]float32, len(m))
		for j := range e {
			e[j] = s.curMO[j] + float32(sixth*m[j])
		}
		s.curMO = nil
	}
	src := x
	if s.cur != nil {
		src = s.cur
	}
	out, err := s.prevSample(src, t, prevT, e)
	s.counter++
	return out, err
}

func (s *pndm) stepPLMS(m, x []float32, t int) ([]float32, error) {
	prevT := t - s.ratio
	if s.counter != 1 {
		s.ets = append(s.ets[max(len(s.ets)-3, 0):], slices.Clone(m))
	} else {
		prevT, t = t, t+s.ratio
	}
	e := m
	n := len(s.ets)
	switch {
	case n == 1 && s.counter == 0:
		s.cur = slices.Clone(x)
	case n == 1 && s.counter == 1:
		e = make([]float32, len(m))
		for j := range e {
			e[j] = (m[j] + s.ets[0][j]) / 2
		}
		if s.cur != nil {
			x = s.cur
		}
		s.cur = nil
	default:
		e = adamsBashforth(s.ets)
	}
	out, err := s.prevSample(x, t, prevT, e)
	s.counter++
	return out, err
}

// adamsBashforth combines the stored model outputs (newest last) with the Adams-Bashforth
// weights of order len(ets) (2..4), in torch's float32 evaluation order.
func adamsBashforth(ets [][]float32) []float32 {
	n := len(ets)
	e1 := ets[n-1]
	out := make([]float32, len(e1))
	switch n {
	case 2:
		e2 := ets[0]
		for j := range out {
			out[j] = (float32(3*e1[j]) - e2[j]) / 2
		}
	case 3:
		e2, e3 := ets[1], ets[0]
		for j := range out {
			out[j] = (float32(23*e1[j]) - float32(16*e2[j]) + float32(5*e3[j])) / 12
		}
	default:
		e2, e3, e4 := ets[n-2], ets[n-3], ets[n-4]
		const c = float32(1.0 / 24)
		for j := range out {
			v := float32(55*e1[j]) - float32(59*e2[j]) + float32(37*e3[j]) - float32(9*e4[j])
			out[j] = c * v
		}
	}
	return out
}

// prevSample is PNDM's formula (9): x_prev from x at t and the (combined) model output e.
func (s *pndm) prevSample(x []float32, t, prevT int, e []float32) ([]float32, error) {
	if err := s.ns.checkT(t); err != nil {
		return nil, err
	}
	if prevT >= s.ns.Len() {
		return nil, s.ns.checkT(prevT)
	}
	a := s.ns.alphaCumprod(t)
	ap := s.prevAlphaCumprod(prevT, s.final)
	b, bp := 1-a, 1-ap
	if s.cfg.PredictionType == PredictV {
		e = axpby(sqrt32(a), e, sqrt32(b), x)
	}
	sampleC := sqrt32(ap / a)
	denom := float32(a*sqrt32(bp)) + sqrt32(float32(a*b)*ap)
	diff := ap - a
	out := make([]float32, len(x))
	for j := range out {
		out[j] = float32(sampleC*x[j]) - float32(diff*e[j])/denom
	}
	return out, nil
}

// scaled returns c*x in float32.
func scaled(c float32, x []float32) []float32 {
	out := make([]float32, len(x))
	for j, v := range x {
		out[j] = c * v
	}
	return out
}
