package pretrain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"time"

	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Stream identifiers of the per-step random draws (PCG's second seed word is stream^step), so
// that every phase's draws are independent and a resumed run repeats them exactly.
const (
	streamVAE       = 0x7661650000000000 // "vae"
	streamDiffusion = 0x756e657400000000 // "unet"
)

// scalingSamples is how many images the latent scaling factor is measured on.
const scalingSamples = 256

// trainVAE runs the VAE phase on the model folder in (the initial model) and writes the folder
// out: the same model with the trained VAE and its measured scaling factor.
func (r *run) trainVAE(ctx context.Context, in, out string, backend backends.Backend) error {
	p, err := sd.Load(in, backend)
	if err != nil {
		return err
	}
	ph := r.opt.VAE
	d := p.Model.VAE
	ckpt := filepath.Join(r.opt.Work, "vae-checkpoint")
	done, err := loadCheckpoint(p.Context, ckpt)
	if err != nil {
		return err
	}
	st, err := newStepper(backend, r.opt.Workers, p.Context, "adam_vae", ph.Optimiser, vaeLoss(d, ph.Objective), nil)
	if err != nil {
		return err
	}
	size, lat, lc := r.opt.Sizes.Image, r.opt.Sizes.LatentSide(), d.LatentChannels
	start := time.Now()
	for step := done; step < ph.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(r.opt.Seed, streamVAE^uint64(step)))
		img := images(r.set, uint64(step*ph.Batch), ph.Batch, size)
		eps := normals(rng, ph.Batch*lc*lat*lat)
		wts := shapeWeights(r.set, uint64(step*ph.Batch), ph.Batch, size, ph.Objective.Shape)
		in, err := shares(r.opt.Workers, batchTensor{img, []int{ph.Batch, 3, size, size}}, batchTensor{eps, []int{ph.Batch, lc, lat, lat}},
			batchTensor{wts, []int{ph.Batch, 1, size, size}})
		if err != nil {
			return err
		}
		vals, err := st.step(ph.Optimiser.lrAt(step, ph.Steps), 0, in...)
		if err != nil {
			return fmt.Errorf("vae step %d: %w", step, err)
		}
		if !finite(vals[0]) {
			return fmt.Errorf("vae step %d: loss is %g", step, vals[0])
		}
		r.progress("vae", step, done, ph.Steps, start, "loss %.4f rec %.4f kl %.3f edge %.4f |g| %.2f", vals...)
		if (step+1)%r.opt.CheckpointEvery == 0 || step+1 == ph.Steps {
			if err := saveCheckpoint(p.Context, ckpt, step+1); err != nil {
				return err
			}
		}
	}
	sf, err := r.scalingFactor(p)
	if err != nil {
		return err
	}
	r.logf("vae: latent scaling factor %.5f", sf)
	return r.export(p, out, weights.F32, sf, false)
}

// takeVAE writes the initial model with the VAE of the folder r.opt.VAEFrom in place of a
// trained one, keeping that folder's scaling factor.
func (r *run) takeVAE(in, out string, backend backends.Backend) error {
	p, err := sd.Load(in, backend)
	if err != nil {
		return err
	}
	src, err := sd.Load(r.opt.VAEFrom, backend)
	if err != nil {
		return fmt.Errorf("vae from %s: %w", r.opt.VAEFrom, err)
	}
	want, have := p.Folder.VAE, src.Folder.VAE
	want.ScalingFactor = have.ScalingFactor
	if !reflect.DeepEqual(want, have) {
		return fmt.Errorf("vae from %s: its VAE config differs from the recipe's", r.opt.VAEFrom)
	}
	vals, err := readParams(src.Context, sd.VAEScope, src.Model.VAE)
	if err != nil {
		return fmt.Errorf("vae from %s: %w", r.opt.VAEFrom, err)
	}
	for _, prm := range p.Model.VAE.Params() {
		if prm.Optional {
			continue
		}
		v, err := variable(p.Context, sd.VAEScope, prm.Name)
		if err != nil {
			return err
		}
		v.SetValue(tensors.FromFlatDataAndDimensions(vals[prm.Name], v.Shape().Dimensions...))
	}
	r.logf("vae: taken from %s (latent scaling factor %.5f)", r.opt.VAEFrom, have.ScalingFactor)
	return r.export(p, out, weights.F32, have.ScalingFactor, false)
}

// scalingFactor measures 1/std of the VAE's latent samples, as Stable Diffusion's 0.18215 was
// chosen, so that the UNet sees latents of unit variance.
func (r *run) scalingFactor(p *sd.Pipeline) (float64, error) {
	size := r.opt.Sizes.Image
	const batch = 32
	rng := rand.New(rand.NewPCG(r.opt.Seed, streamVAE^math.MaxUint32))
	var sum, sumSq float64
	n := 0
	for first := 0; first < scalingSamples; first += batch {
		img := images(r.set, uint64(1<<40+first), batch, size) // scenes the VAE did not train on
		mean, logvar, err := p.VAE.Encode(weights.Tensor{Shape: []int{batch, 3, size, size}, Data: img})
		if err != nil {
			return 0, err
		}
		for i, m := range mean.Data {
			z := float64(m) + math.Exp(0.5*float64(logvar.Data[i]))*rng.NormFloat64()
			sum += z
			sumSq += z * z
			n++
		}
	}
	variance := sumSq/float64(n) - (sum/float64(n))*(sum/float64(n))
	if !(variance > 0) {
		return 0, fmt.Errorf("vae: latent variance is %g", variance)
	}
	return 1 / math.Sqrt(variance), nil
}

func normals(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
