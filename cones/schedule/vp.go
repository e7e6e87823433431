package schedule

import (
	"fmt"
	"math"
	"slices"
)

// vp is the part DDIM, PNDM and DPM-Solver share: integer timesteps on the variance-preserving
// process x_t = alpha_t*x0 + sigma_t*eps and, per noise level, the tables their steps read.
// Level i is the state before step i; level len(timesteps) is where the run ends.
type vp struct {
	name      string
	cfg       Config
	ns        *NoiseSchedule
	timesteps []int
	ab        []float32 // alpha-bar (alphas_cumprod) per level
	alpha     []float32 // sqrt(alpha-bar)
	sig       []float32 // sqrt(1 - alpha-bar)
	ksig      []float32 // k-diffusion sigma sqrt((1-ab)/ab)
}

func (v *vp) Name() string                  { return v.name }
func (v *vp) Config() Config                { return v.cfg }
func (v *vp) NoiseSchedule() *NoiseSchedule { return v.ns }
func (v *vp) InitNoiseSigma() float32       { return 1 }
func (v *vp) Sigmas() []float32             { return slices.Clone(v.ksig) }

func (v *vp) Timesteps() []float64 {
	out := make([]float64, len(v.timesteps))
	for i, t := range v.timesteps {
		out[i] = float64(t)
	}
	return out
}

func (v *vp) Sigma(i int) float32 {
	if i < 0 || i >= len(v.ksig) {
		return float32(math.NaN())
	}
	return v.ksig[i]
}

// setLevels fills the per-level tables from alphas_cumprod at ts and the final alpha-bar.
func (v *vp) setLevels(ts []int, final float32) error {
	for _, t := range ts {
		if err := v.ns.checkT(t); err != nil {
			return fmt.Errorf("%w: %w", ErrStepCount, err)
		}
	}
	ab := make([]float32, len(ts)+1)
	for i, t := range ts {
		ab[i] = v.ns.alphaCumprod(t)
	}
	ab[len(ts)] = final
	v.timesteps = ts
	v.ab = ab
	v.alpha = make([]float32, len(ab))
	v.sig = make([]float32, len(ab))
	v.ksig = make([]float32, len(ab))
	for i, a := range ab {
		v.alpha[i], v.sig[i], v.ksig[i] = sqrt32(a), sqrt32(1-a), kSigma(a)
	}
	return nil
}

// prevAlphaCumprod is alphas_cumprod[t] for t >= 0, else the final value (DDIM, PNDM).
func (v *vp) prevAlphaCumprod(t int, final float32) float32 {
	if t < 0 {
		return final
	}
	return v.ns.alphaCumprod(t)
}

// finalAlphaCumprod is diffusers' final_alpha_cumprod: 1 with set_alpha_to_one, else ac[0].
func finalAlphaCumprod(ns *NoiseSchedule, cfg Config, def bool) float32 {
	if boolOr(cfg.SetAlphaToOne, def) {
		return 1
	}
	return ns.alphaCumprod(0)
}

func (v *vp) check(i int, aName string, a []float32, bName string, b []float32) error {
	if err := checkIndex(i, len(v.timesteps)); err != nil {
		return err
	}
	return checkPair(aName, a, bName, b)
}

// ScaleModelInput returns a copy: VP samplers feed the latent to the model unscaled.
func (v *vp) ScaleModelInput(x []float32, i int) ([]float32, error) {
	if err := v.check(i, "x", x, "x", x); err != nil {
		return nil, fmt.Errorf("%s: scale model input: %w", v.name, err)
	}
	return slices.Clone(x), nil
}

// AddNoise is alpha_i*x0 + sigma_i*noise at the level of step i (DDPM add_noise at timesteps[i]).
func (v *vp) AddNoise(x0, noise []float32, i int) ([]float32, error) {
	if err := v.check(i, "x0", x0, "noise", noise); err != nil {
		return nil, fmt.Errorf("%s: add noise: %w", v.name, err)
	}
	return axpby(v.alpha[i], x0, v.sig[i], noise), nil
}

// Renoise applies the forward transition from level i+1 back to level i:
// sqrt(r)*x + sqrt(1-r)*noise with r = alpha-bar_i / alpha-bar_{i+1}, which restores exactly
// the noise variance of level i.
func (v *vp) Renoise(x, noise []float32, i int) ([]float32, error) {
	if err := v.check(i, "x", x, "noise", noise); err != nil {
		return nil, fmt.Errorf("%s: renoise: %w", v.name, err)
	}
	r := v.ab[i] / v.ab[i+1]
	return axpby(sqrt32(r), x, sqrt32(1-r), noise), nil
}
