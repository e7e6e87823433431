package pretrain

import (
	gocontext "context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// trainDiffusion runs the text encoder + UNet phase on the model folder in (trained VAE) and
// writes the finished model to the output folder, refreshing it every ExportEvery steps.
func (r *run) trainDiffusion(ctx gocontext.Context, in string, backend backends.Backend) error {
	p, err := sd.Load(in, backend)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(in, weights.TokenizerDir))
	if err != nil {
		return err
	}
	if err := setTrainable(p.Context, sd.VAEScope, p.Model.VAE, false); err != nil {
		return err
	}
	ns, err := schedule.NewNoiseSchedule(p.Folder.Scheduler)
	if err != nil {
		return err
	}
	b := &diffusionBatcher{r: r, p: p, tok: tok, ac: ns.AlphasCumprod()}
	if b.uncond, err = tok.EncodePadded(""); err != nil {
		return err
	}
	ph := r.opt.Diffusion
	ckpt := filepath.Join(r.opt.Work, "diffusion-checkpoint")
	done, err := loadCheckpoint(p.Context, ckpt)
	if err != nil {
		return err
	}
	var ema []*context.Variable
	for _, n := range []struct {
		root string
		mod  weights.Module
	}{{sd.TextEncoderScope, p.Model.TextEncoder}, {sd.UNetScope, p.Model.UNet}} {
		vs, err := networkVariables(p.Context, n.root, n.mod)
		if err != nil {
			return err
		}
		ema = append(ema, vs...)
	}
	st, err := newStepper(backend, r.opt.Workers, p.Context, "adam_diffusion", ph.Optimiser, diffusionLoss(p.Model.TextEncoder, p.Model.UNet), ema)
	if err != nil {
		return err
	}
	start := time.Now()
	end := ph.Steps
	if r.opt.StopAfter > 0 && r.opt.StopAfter < end {
		end = r.opt.StopAfter
	}
	pf := &prefetcher{make: b.batch, workers: r.opt.Workers}
	defer pf.wait()
	if done < end {
		pf.start(done)
	}
	for step := done; step < end; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		next := step + 1
		if next == end {
			next = -1
		}
		in, err := pf.take(next)
		if err != nil {
			return err
		}
		vals, err := st.step(ph.Optimiser.lrAt(step, ph.Steps), emaDecay(step, ph.EMADecay), in...)
		if err != nil {
			return fmt.Errorf("diffusion step %d: %w", step, err)
		}
		if !finite(vals[0]) {
			return fmt.Errorf("diffusion step %d: loss is %g", step, vals[0])
		}
		r.progress("diffusion", step, done, ph.Steps, start, "loss %.4f mse %.4f |g| %.2f", vals...)
		last := step+1 == ph.Steps
		if (step+1)%r.opt.CheckpointEvery == 0 || step+1 == end {
			if err := saveCheckpoint(p.Context, ckpt, step+1); err != nil {
				return err
			}
		}
		if (r.opt.ExportEvery > 0 && (step+1)%r.opt.ExportEvery == 0) || last {
			if err := r.exportOut(p); err != nil {
				return err
			}
			r.logf("diffusion: step %d: wrote %s", step+1, r.opt.Out)
		}
	}
	return nil
}

// diffusionBatcher makes the inputs of one diffusion step: captions (some dropped), latents
// sampled from the frozen VAE's encoding of the scenes, timesteps, noise and loss weights.
type diffusionBatcher struct {
	r      *run
	p      *sd.Pipeline
	tok    *tokenizer.Tokenizer
	ac     []float32 // alphas_cumprod of the training schedule
	uncond []int
}

func (b *diffusionBatcher) batch(step int) ([]batchTensor, error) {
	o := b.r.opt
	ph := o.Diffusion
	n, size := ph.Batch, o.Sizes.Image
	rng := rand.New(rand.NewPCG(o.Seed, streamDiffusion^uint64(step)))
	first := uint64(step * n)
	img := images(b.r.set, first, n, size)
	mean, logvar, err := b.p.VAE.Encode(weights.Tensor{Shape: []int{n, 3, size, size}, Data: img})
	if err != nil {
		return nil, err
	}
	per := len(mean.Data) / n
	sf := b.p.Model.VAE.ScalingFactor
	noisy := make([]float32, len(mean.Data))
	noise := normals(rng, len(mean.Data))
	ts := make([]float32, n)
	w := make([]float32, n)
	ids := make([]int32, 0, n*len(b.uncond))
	uncond := make([]int32, 0, n*len(b.uncond))
	keep := make([]float32, 0, n*len(b.uncond))
	for i, caption := range captions(b.r.set, first, n) {
		t := rng.IntN(len(b.ac))
		ts[i] = float32(t)
		a := float64(b.ac[t])
		w[i] = float32(snrWeight(a, ph.MinSNRGamma))
		for j := i * per; j < (i+1)*per; j++ {
			z := (float64(mean.Data[j]) + math.Exp(0.5*float64(logvar.Data[j]))*rng.NormFloat64()) * sf
			noisy[j] = float32(math.Sqrt(a)*z + math.Sqrt(1-a)*float64(noise[j]))
		}
		row, captioned := b.uncond, rng.Float64() >= ph.CaptionDropout
		if captioned {
			if row, err = b.tok.EncodePadded(caption); err != nil {
				return nil, fmt.Errorf("caption %q: %w", caption, err)
			}
		}
		// The draw is taken only by recipes that isolate, so the others keep their streams.
		isolate := captioned && ph.IsolateSubjects > 0 && rng.Float64() < ph.IsolateSubjects
		k, err := b.keep(caption, len(row), isolate)
		if err != nil {
			return nil, err
		}
		keep = append(keep, k...)
		for j, id := range row {
			ids = append(ids, int32(id))
			uncond = append(uncond, int32(b.uncond[j]))
		}
	}
	tp := b.p.Model.UNet.TimeProj
	return []batchTensor{
		{ids, []int{n, len(b.uncond)}},
		{noisy, mean.Shape},
		{nn.TimestepEmbedding(ts, tp.Channels, tp.FlipSinToCos, tp.FreqShift), []int{n, tp.Channels}},
		{noise, mean.Shape},
		{w, []int{n}},
		{uncond, []int{n, len(b.uncond)}},
		{keep, []int{n, len(b.uncond)}},
	}, nil
}

// keep returns which of a caption's n text positions the UNet sees: all of them, or when
// isolating only <|startoftext|> and the tokens of each shape's word.
func (b *diffusionBatcher) keep(caption string, n int, isolate bool) ([]float32, error) {
	k := make([]float32, n)
	if !isolate {
		for i := range k {
			k[i] = 1
		}
		return k, nil
	}
	k[0] = 1
	for _, kind := range shapes.Kinds() {
		occ, err := b.tok.Occurrences(caption, kind.String())
		if err != nil {
			continue // this kind is not in the caption
		}
		for _, o := range occ {
			for _, p := range o {
				k[p] = 1
			}
		}
	}
	return k, nil
}

// snrWeight is the Min-SNR-γ weight of the epsilon loss at cumulative alpha a: min(SNR, γ)/SNR,
// or 1 when γ is 0.
func snrWeight(a, gamma float64) float64 {
	if gamma <= 0 {
		return 1
	}
	snr := a / (1 - a)
	return min(snr, gamma) / snr
}
