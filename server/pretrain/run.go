package pretrain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
)

// run is one pretraining run.
type run struct {
	opt  Options
	set  shapes.Set
	spec spec
}

// Run trains the default model from scratch as o describes, resuming from o.Work where a
// previous run stopped: tokenizer, initial model, VAE phase, then the text encoder + UNet phase,
// which writes o.Out.
func Run(ctx context.Context, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if err := o.claimWork(); err != nil {
		return err
	}
	r := &run{opt: o, set: shapes.NewSet(o.Seed)}
	vocab, err := trainVocabulary(r.set, o.Sizes.VocabSize)
	if err != nil {
		return err
	}
	rec, err := o.Recommended.Marshal()
	if err != nil {
		return err
	}
	if err := o.Recommended.Validate(); err != nil {
		return fmt.Errorf("pretrain: recommended settings: %w", err)
	}
	r.spec = spec{sizes: o.Sizes, vocab: vocab, recommended: rec}
	r.logf("tokenizer: %d tokens", len(vocab.Tokens))
	backend, err := sd.NewBackend()
	if err != nil {
		return err
	}
	initDir := filepath.Join(o.Work, "init")
	if err := r.once(initDir, func(tmp string) error { return r.writeInit(tmp) }); err != nil {
		return fmt.Errorf("pretrain: initial model: %w", err)
	}
	vaeDir := filepath.Join(o.Work, "vae")
	vae := func(tmp string) error { return r.trainVAE(ctx, initDir, tmp, backend) }
	if o.VAEFrom != "" {
		vae = func(tmp string) error { return r.takeVAE(initDir, tmp, backend) }
	}
	if err := r.once(vaeDir, vae); err != nil {
		return fmt.Errorf("pretrain: vae: %w", err)
	}
	if err := r.trainDiffusion(ctx, vaeDir, backend); err != nil {
		return fmt.Errorf("pretrain: text encoder and unet: %w", err)
	}
	return nil
}

// once builds the folder dir with build (into a temporary sibling, renamed when complete),
// unless a previous run completed it.
func (r *run) once(dir string, build func(tmp string) error) error {
	if _, err := os.Stat(filepath.Join(dir, weights.ManifestName)); err == nil {
		return nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := build(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// writeInit writes the randomly initialised model (float32).
func (r *run) writeInit(dst string) error {
	m, _, err := r.spec.describe(weights.F32)
	if err != nil {
		return err
	}
	vals := map[string]map[string][]float32{
		weights.TextEncoderDir: initValues(weights.TextEncoderDir, m.TextEncoder, r.opt.Seed),
		weights.UNetDir:        initValues(weights.UNetDir, m.UNet, r.opt.Seed),
		weights.VAEDir:         initValues(weights.VAEDir, m.VAE, r.opt.Seed),
	}
	_, err = writeFolder(dst, r.spec, weights.F32, vals)
	return err
}

// export writes the pipeline's current weights as a model folder of dtype dt with VAE scaling
// factor sf; averaged, the moving averages of the networks that have one.
func (r *run) export(p *sd.Pipeline, dst string, dt weights.DType, sf float64, averaged bool) error {
	vals := map[string]map[string][]float32{}
	for dir, root := range sdRoots() {
		mod, err := p.Model.Module(dir)
		if err != nil {
			return err
		}
		if averaged && hasEMA(p, root) {
			root = emaScope + root
		}
		if vals[dir], err = readParams(p.Context, root, mod); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	s := r.spec
	s.scalingFactor = sf
	_, err := writeFolder(dst, s, dt, vals)
	return err
}

// exportOut replaces the output folder with the pipeline's current model in float16.
func (r *run) exportOut(p *sd.Pipeline) error {
	tmp := r.opt.Out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := r.export(p, tmp, weights.F16, p.Model.VAE.ScalingFactor, true); err != nil {
		return err
	}
	if err := os.RemoveAll(r.opt.Out); err != nil {
		return err
	}
	return os.Rename(tmp, r.opt.Out)
}

func (r *run) logf(format string, args ...any) { r.opt.Logf(format, args...) }

// progress logs a step's values every few steps with the rate and the time left.
func (r *run) progress(phase string, step, first, total int, start time.Time, format string, vals ...float64) {
	if step != first && (step+1)%logEvery != 0 && step+1 != total {
		return
	}
	elapsed := time.Since(start).Seconds()
	per := elapsed / float64(step+1-first)
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	r.logf("%s %d/%d: %s (%.2f s/step, %s left)", phase, step+1, total, fmt.Sprintf(format, args...),
		per, time.Duration(per*float64(total-step-1)*float64(time.Second)).Round(time.Second))
}

// logEvery is how often progress is logged, in steps.
const logEvery = 10

// hasEMA reports whether the network under root has moving averages.
func hasEMA(p *sd.Pipeline, root string) bool {
	for v := range p.Context.IterVariables() {
		if strings.HasPrefix(v.Scope(), emaScope+root+"/") {
			return true
		}
	}
	return false
}
