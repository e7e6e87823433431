//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/weights"
)

// Generate runs one Cones 2 generation: the text encoder on [negative, prompt] with the
// residuals added to the prompt's embedding, the shared denoising loop of cones/sample with the
// GPU UNet (both CFG halves as batch 2, layout guidance in the conditional half), and the VAE
// decode. Cancel ctx to stop between steps; OnStep reports progress.
func (e *Engine) Generate(ctx context.Context, r Request) (*Result, error) {
	u := e.Model.UNet
	f := e.Model.VAE.DownsampleFactor()
	if r.Width <= 0 || r.Height <= 0 || r.Width%f != 0 || r.Height%f != 0 {
		return nil, fmt.Errorf("generate: image %dx%d is not a positive multiple of %d", r.Width, r.Height, f)
	}
	h, w := r.Height/f, r.Width/f
	text, err := e.conditioning(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	ctxBuf, err := text.Buffer("context")
	if err != nil {
		return nil, err
	}
	// Everything that changes between generations of one shape (prompt, residuals, layout
	// maps, CFG scale, steps, seed) is data in buffers the programs already bind: a new
	// generation of the same size and edit setting rebuilds no bind group.
	o := e.unetOptions(h, w, r.Grids != nil)
	// the text keys and values of every cross-attention layer, once per generation
	kv, err := e.program(ctx, "textkv", func() (*gpugraph.Graph, error) { return gpugraph.UNetTextKV(u, o) },
		map[string]*webgpu.Buffer{"context": ctxBuf})
	if err != nil {
		return nil, fmt.Errorf("generate: text K/V: %w", err)
	}
	if err := kv.Run(); err != nil {
		return nil, fmt.Errorf("generate: text K/V: %w", err)
	}
	bind := map[string]*webgpu.Buffer{}
	for name := range kv.G.Outputs {
		if bind[name], err = kv.Buffer(name); err != nil {
			return nil, err
		}
	}
	key := fmt.Sprintf("generate/%+v", o)
	// one generation program at a time: its activations are the largest buffers after the weights
	for k := range e.progs {
		if strings.HasPrefix(k, "generate/") && k != key {
			e.drop(k)
		}
	}
	unet, err := e.program(ctx, key, func() (*gpugraph.Graph, error) { return gpugraph.UNet(u, o) }, bind)
	if err != nil {
		return nil, fmt.Errorf("generate: unet: %w", err)
	}
	if r.Grids != nil {
		if err := setLayout(unet, r.Grids); err != nil {
			return nil, fmt.Errorf("generate: layout: %w", err)
		}
	}
	d := &denoiser{p: unet, u: u, batch: 2, weight: r.GuidanceWeight, cfg: float32(r.CFGScale)}
	latents, err := sample.Run(ctx, d, sample.Config{Scheduler: r.Scheduler, Steps: r.Steps, GuidanceSteps: r.GuidanceSteps,
		Noise: r.Noise, LatentLen: u.Config.InChannels * h * w, OnStep: func(p sample.Progress) {
			if r.OnStep != nil {
				r.OnStep(p.Step, p.Total, p.Latents)
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	dec, err := e.Decode(ctx, latents, h, w, DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return &Result{Width: dec.Width, Height: dec.Height, RGBA: dec.RGBA, Latents: latents}, nil
}

// unetOptions are the options of a generation's UNet at h x w latents (edit: with a layout).
func (e *Engine) unetOptions(h, w int, edit bool) gpugraph.UNetOptions {
	return gpugraph.UNetOptions{Batch: 2, H: h, W: w, F16: e.F16, Limit: e.limit(), Edit: edit, EditBatch: 1,
		CFG: true, TextKV: true}
}

// textOptions are the options of a generation's text encoder: [negative, prompt], residuals added.
func (e *Engine) textOptions() gpugraph.TextOptions {
	return gpugraph.TextOptions{Batch: 2, F16: e.F16, Limit: e.limit(), Residual: true}
}

// conditioning runs the text encoder on [negative, prompt] and adds the residuals to the
// prompt's embedding, leaving the result in the program's "context" output on the GPU.
func (e *Engine) conditioning(ctx context.Context, r Request) (*Program, error) {
	te := e.Model.TextEncoder
	p, err := e.program(ctx, "conditioning", func() (*gpugraph.Graph, error) { return gpugraph.TextEncoder(te, e.textOptions()) }, nil)
	if err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	l, d := te.Config.MaxPositionEmbeddings, te.Width()
	if err := setIDs(p, l, te.Config.VocabSize, [][]int{r.Negative, r.Prompt}); err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	delta := make([]float32, l*d)
	for i, res := range r.Residuals {
		if res.Token < 0 || res.Token >= l {
			return nil, fmt.Errorf("residual %d: token %d outside 0..%d", i, res.Token, l-1)
		}
		if len(res.Vector) != d {
			return nil, fmt.Errorf("residual %d has %d values, the text encoder's width is %d", i, len(res.Vector), d)
		}
		for j, v := range res.Vector {
			delta[res.Token*d+j] += v
		}
	}
	if err := p.SetF32("delta", 0, delta); err != nil {
		return nil, err
	}
	if err := p.Run(); err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	return p, nil
}

// denoiser is the engine side of cones/sample: the GPU UNet over [unconditional, conditional]
// with CFG on the GPU. Per step it uploads the latent (twice) and the step's scalars (timestep
// projection, edit strength, CFG scale), submits the whole evaluation once (the score
// statistics only on guided steps), and reads back only the combined output (one latent).
type denoiser struct {
	p      *Program
	u      *weights.UNet
	batch  int
	weight float64
	cfg    float32
}

func (d *denoiser) Denoise(ctx context.Context, x []float32, s sample.Step) ([]float32, error) {
	for b := range d.batch {
		if err := d.p.SetF32("sample", b*len(x), x); err != nil {
			return nil, err
		}
	}
	var coef float32
	if s.Guided {
		coef = sample.EditStrength(d.weight, s.GuideSigma)
	}
	if err := d.p.SetF32("scalars", 0, gpugraph.StepScalars(d.u, d.batch, s.Timestep, coef, d.cfg)); err != nil {
		return nil, err
	}
	if err := d.p.RunStep(s.Guided); err != nil {
		return nil, err
	}
	return d.p.ReadF32(ctx, "guided")
}
