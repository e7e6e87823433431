package schedule

import (
	"fmt"
	"math"
	"slices"
)

// kdiff is the part LMS and Euler share: k-diffusion sigmas on linspace timesteps (diffusers
// v0.13.1), optionally replaced by a Karras schedule, and the sigma-space input scaling, noising
// and self-recurrence.
type kdiff struct {
	name      string
	cfg       Config
	ns        *NoiseSchedule
	timesteps []float64
	sigmas    []float32 // len(timesteps)+1, ending in 0
	initSigma float32
}

func newKdiff(name string, ns *NoiseSchedule, cfg Config) (kdiff, error) {
	if err := checkSpacing(cfg, "linspace"); err != nil {
		return kdiff{}, err
	}
	// v0.13.1 sets init_noise_sigma once, from the full training table.
	return kdiff{name: name, cfg: cfg, ns: ns, initSigma: slices.Max(ns.sigmas)}, nil
}

func (k *kdiff) Name() string                  { return k.name }
func (k *kdiff) Config() Config                { return k.cfg }
func (k *kdiff) NoiseSchedule() *NoiseSchedule { return k.ns }
func (k *kdiff) Timesteps() []float64          { return slices.Clone(k.timesteps) }
func (k *kdiff) Sigmas() []float32             { return slices.Clone(k.sigmas) }
func (k *kdiff) InitNoiseSigma() float32       { return k.initSigma }

func (k *kdiff) Sigma(i int) float32 {
	if i < 0 || i >= len(k.sigmas) {
		return float32(math.NaN())
	}
	return k.sigmas[i]
}

// setTimesteps builds timesteps = linspace(0, T-1, n) reversed and the sigmas interpolated at
// them (np.interp in float64 over the float32 table, then float32), plus a final 0.
func (k *kdiff) setTimesteps(n int) error {
	train := k.ns.Len()
	if err := checkSteps(n, train); err != nil {
		return err
	}
	ts := numpyLinspace(0, float64(train-1), n)
	slices.Reverse(ts)
	full := make([]float64, train)
	for i, s := range k.ns.sigmas {
		full[i] = float64(s)
	}
	sig := make([]float64, n)
	for i, t := range ts {
		sig[i] = interpArange(t, full)
	}
	if k.cfg.UseKarrasSigmas {
		var err error
		if sig, err = KarrasSigmas(sig[n-1], sig[0], n, 7); err != nil {
			return err
		}
		logs := logTable(k.ns.sigmas)
		for i, s := range sig {
			ts[i] = sigmaToT(s, logs)
		}
	}
	k.timesteps = ts
	k.sigmas = make([]float32, n+1)
	for i, s := range sig {
		k.sigmas[i] = float32(s)
	}
	return nil
}

func (k *kdiff) check(i int, aName string, a []float32, bName string, b []float32) error {
	if err := checkIndex(i, len(k.timesteps)); err != nil {
		return err
	}
	return checkPair(aName, a, bName, b)
}

// ScaleModelInput divides by sqrt(sigma_i^2 + 1), the k-diffusion input preconditioning.
func (k *kdiff) ScaleModelInput(x []float32, i int) ([]float32, error) {
	if err := k.check(i, "x", x, "x", x); err != nil {
		return nil, fmt.Errorf("%s: scale model input: %w", k.name, err)
	}
	s := k.sigmas[i]
	d := sqrt32(float32(s*s) + 1)
	out := make([]float32, len(x))
	for j, v := range x {
		out[j] = v / d
	}
	return out, nil
}

// AddNoise is x0 + sigma_i * noise.
func (k *kdiff) AddNoise(x0, noise []float32, i int) ([]float32, error) {
	if err := k.check(i, "x0", x0, "noise", noise); err != nil {
		return nil, fmt.Errorf("%s: add noise: %w", k.name, err)
	}
	return addScaled(x0, k.sigmas[i], noise), nil
}

// Renoise is x + sqrt(sigma_i^2 - sigma_{i+1}^2) * noise, in float32 as the official code.
func (k *kdiff) Renoise(x, noise []float32, i int) ([]float32, error) {
	if err := k.check(i, "x", x, "noise", noise); err != nil {
		return nil, fmt.Errorf("%s: renoise: %w", k.name, err)
	}
	a, b := k.sigmas[i], k.sigmas[i+1]
	return addScaled(x, sqrt32(float32(a*a)-float32(b*b)), noise), nil
}

// addScaled returns x + s*y, the product rounded before the sum.
func addScaled(x []float32, s float32, y []float32) []float32 {
	out := make([]float32, len(x))
	for j := range out {
		out[j] = x[j] + float32(s*y[j])
	}
	return out
}

// derivative writes the k-diffusion ODE derivative (x - x0)/sigma into dst, with x0 predicted
// from the model output as diffusers' LMS and Euler do (each in float32, in torch's order).
func derivative(dst, m, x []float32, sigma float32, pred string) {
	switch pred {
	case PredictV:
		s2 := float32(sigma*sigma) + 1
		c := -sigma / sqrt32(s2)
		for j := range dst {
			x0 := float32(m[j]*c) + x[j]/s2
			dst[j] = (x[j] - x0) / sigma
		}
	case PredictSample:
		for j := range dst {
			dst[j] = (x[j] - m[j]) / sigma
		}
	default:
		for j := range dst {
			x0 := x[j] - float32(sigma*m[j])
			dst[j] = (x[j] - x0) / sigma
		}
	}
}
