package generate

import (
	"context"
	"errors"
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// Request is one generation.
type Request struct {
	Settings
	// Layout places subjects; nil generates without layout edits (guided steps still take the
	// self-recurrence, as the official code does with an empty layout).
	Layout *layout.Layout
	// Residuals are the subjects' residual embeddings (cones/residual), each checked against the
	// loaded text encoder's model and width.
	Residuals []*residual.Residual
	// Noise replaces the seeded generator (tests replay recorded draws); nil uses
	// noise.New(Seed).
	Noise noise.Source
	// OnStep, when not nil, is called after every denoising step.
	OnStep func(sample.Progress)
	// LatentsOnly skips the VAE decode: the Result has latents and no pixels.
	LatentsOnly bool
	// TextEncoder, when not nil, encodes the prompts in place of the pipeline's own: the
	// evaluation generates with a subject trainer's fine-tuned copy to see what the residual
	// keeps of it.
	TextEncoder Encoder
}

// Encoder turns padded token rows into text embeddings [rows, tokens, width]; the pipeline's
// text encoder and a subject trainer's tuned copy both are one.
type Encoder interface {
	Encode(ids [][]int) (weights.Tensor, error)
}

// Result is a generated image and the latents it was decoded from.
type Result struct {
	Settings Settings       // with the size resolved
	Latents  weights.Tensor // [1, latent_channels, Height/8, Width/8]
	// Pixels are the image, Height rows of Width RGB triples (8-bit, as the official code
	// rounds them).
	Pixels []uint8
}

// Generator runs requests on a loaded pipeline.
type Generator struct {
	Pipeline  *sd.Pipeline
	Tokenizer *tokenizer.Tokenizer
}

// Generate runs the request. Errors name the input at fault (the prompt, a subject, a
// residual, the size, the sampler).
func (g *Generator) Generate(ctx context.Context, req Request) (*Result, error) {
	s, err := g.resolve(req.Settings)
	if err != nil {
		return nil, err
	}
	sched, err := g.scheduler(s.Sampler)
	if err != nil {
		return nil, err
	}
	d, err := g.denoiser(req, s)
	if err != nil {
		return nil, err
	}
	src := req.Noise
	if src == nil {
		src = noise.New(s.Seed)
	}
	lat, err := sample.Run(ctx, d, sample.Config{Scheduler: sched, Steps: s.Steps, GuidanceSteps: s.GuidanceSteps,
		Noise: src, LatentLen: product(d.latShape), OnStep: req.OnStep})
	if err != nil {
		return nil, err
	}
	latents := weights.Tensor{Shape: d.latShape, Data: lat}
	if req.LatentsOnly {
		return &Result{Settings: s, Latents: latents}, nil
	}
	img, err := g.Pipeline.VAE.Decode(latents)
	if err != nil {
		return nil, err
	}
	return &Result{Settings: s, Latents: latents, Pixels: Pixels(img)}, nil
}

// resolve fills in the model's size and checks the settings against the model.
func (g *Generator) resolve(s Settings) (Settings, error) {
	if err := s.validate(); err != nil {
		return s, fmt.Errorf("generate: %w", err)
	}
	m := g.Pipeline.Model
	f := m.VAE.DownsampleFactor()
	native := m.UNet.Config.SampleSize * f
	if s.Width == 0 {
		s.Width = native
	}
	if s.Height == 0 {
		s.Height = native
	}
	if s.Sampler == "pndm" && s.GuidanceSteps > 0 {
		// PLMS cannot take a step twice: diffusers' step_plms moves the timestep forward on its
		// second call, past the end of the schedule at the first step.
		return s, fmt.Errorf("generate: the pndm sampler cannot repeat a step for self-recurrence; use another sampler or 0 guidance steps")
	}
	if step := f * m.UNet.DownsampleFactor(); s.Width%step != 0 || s.Height%step != 0 {
		return s, fmt.Errorf("generate: size %dx%d: width and height must be multiples of %d for this model", s.Width, s.Height, step)
	}
	return s, nil
}

// scheduler builds the sampler from the model's scheduler config (which decides epsilon or v).
func (g *Generator) scheduler(name string) (schedule.Scheduler, error) {
	cfg, err := schedule.ParseConfig(g.Pipeline.Folder.SchedulerConfig)
	if err != nil {
		return nil, fmt.Errorf("generate: scheduler config: %w", err)
	}
	var opts []schedule.Option
	if name == "lms" {
		opts = append(opts, schedule.LMSOrder(1)) // the official layout_guidance_sampling steps with order=1
	}
	s, err := schedule.New(name, cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return s, nil
}

// denoiser encodes the prompts, adds the residuals and rasterises the layout.
func (g *Generator) denoiser(req Request, s Settings) (*denoiser, error) {
	ids, err := g.Tokenizer.EncodePadded(s.Prompt)
	if err != nil {
		return nil, fmt.Errorf("generate: prompt: %w", err)
	}
	uncond, err := g.Tokenizer.EncodePadded("")
	if err != nil {
		return nil, fmt.Errorf("generate: empty prompt: %w", err)
	}
	var enc Encoder = g.Pipeline.TextEncoder
	if req.TextEncoder != nil {
		enc = req.TextEncoder
	}
	text, err := enc.Encode([][]int{uncond, ids})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := g.addResiduals(text, s.Prompt, req.Residuals); err != nil {
		return nil, err
	}
	f := g.Pipeline.Model.VAE.DownsampleFactor()
	d := &denoiser{unet: g.Pipeline.UNet, text: text, weight: s.GuidanceWeight, cfg: float32(s.CFGScale),
		latShape: []int{1, g.Pipeline.Model.UNet.Config.InChannels, s.Height / f, s.Width / f}}
	if req.Layout != nil {
		if d.grids, err = g.grids(req.Layout, s, d.latShape[2], d.latShape[3], text.Shape[1]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// addResiduals adds each residual to the conditional embedding (row 1 of text): its i-th vector
// at the i-th token of every occurrence of its word in the prompt. That is the official rule
// (the residual is added wherever the word's token appears) and the page's, so a prompt that
// names a subject twice gives the same picture on both engines.
func (g *Generator) addResiduals(text weights.Tensor, prompt string, rs []*residual.Residual) error {
	n, width := text.Shape[1], text.Shape[2]
	cond := text.Data[n*width:]
	for _, r := range rs {
		if err := r.Check(g.Model(), width); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		occ, err := g.Tokenizer.Occurrences(prompt, r.Word)
		if err != nil {
			return fmt.Errorf("generate: residual %q: %w", r.Word, err)
		}
		for _, pos := range occ {
			if len(pos) != r.Tokens || len(r.Data) != r.Tokens*width {
				return fmt.Errorf("generate: residual %q has %d vectors (one per token of its word), but the word is %d token(s) in this prompt", r.Word, r.Tokens, len(pos))
			}
			for i, p := range pos {
				row := cond[p*width : (p+1)*width]
				for j, v := range r.Row(i) {
					row[j] += v
				}
			}
		}
	}
	return nil
}

// Model identifies the loaded text encoder the way residual files record it.
func (g *Generator) Model() residual.Model {
	return residual.Model{Family: g.Pipeline.Family, TextEncoder: g.Pipeline.Fingerprint}
}

// grids rasterises the layout at the image size (each subject's map on every occurrence of its
// word) and resizes it to every cross-attention grid of the UNet.
func (g *Generator) grids(l *layout.Layout, s Settings, lh, lw, textLen int) (map[int][]float32, error) {
	if textLen != layout.ContextLen {
		return nil, fmt.Errorf("generate: layout guidance needs %d text tokens, the prompt has %d", layout.ContextLen, textLen)
	}
	positions := make([][]int, len(l.Subjects))
	for i, sub := range l.Subjects {
		occ, err := g.Tokenizer.Occurrences(s.Prompt, sub.Word)
		if err != nil {
			return nil, fmt.Errorf("generate: layout subject %q: %w", sub.Word, err)
		}
		for _, o := range occ {
			positions[i] = append(positions[i], o...)
		}
	}
	l, err := l.ResizeMasks(s.Width, s.Height) // a colour layout drawn at another size, as the official code resizes its PNG
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	wt, err := l.Build(s.Height, s.Width, positions)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	out := map[int][]float32{}
	for _, n := range g.Pipeline.UNet.QueryLengths(lh, lw) {
		grid, err := wt.Grid(n)
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		out[n] = grid.Data
	}
	if len(out) == 0 {
		return nil, errors.New("generate: the UNet has no cross-attention layer to guide")
	}
	return out, nil
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
