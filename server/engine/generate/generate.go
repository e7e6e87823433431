package generate

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/request"
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
	c, err := g.Conditioning(req)
	if err != nil {
		return nil, err
	}
	d, err := g.denoiser(req, c)
	if err != nil {
		return nil, err
	}
	s := c.Settings
	src := req.Noise
	if src == nil {
		src = noise.New(s.Seed)
	}
	lat, err := sample.Run(ctx, d, sample.Config{Scheduler: c.Scheduler, Steps: s.Steps, GuidanceSteps: s.GuidanceSteps,
		Noise: src, LatentLen: product(c.LatentShape), OnStep: req.OnStep})
	if err != nil {
		return nil, err
	}
	latents := weights.Tensor{Shape: c.LatentShape, Data: lat}
	if req.LatentsOnly {
		return &Result{Settings: s, Latents: latents}, nil
	}
	img, err := g.Pipeline.VAE.Decode(latents)
	if err != nil {
		return nil, err
	}
	return &Result{Settings: s, Latents: latents, Pixels: Pixels(img)}, nil
}

// Conditioning is the front half of a generation, the same one the page builds
// (cones/request): the settings resolved against the model, token ids, residual rows at every
// occurrence of their words, layout grids and the sampler.
func (g *Generator) Conditioning(req Request) (*request.Conditioning, error) {
	m, err := g.RequestModel()
	if err != nil {
		return nil, err
	}
	c, err := request.Build(g.Tokenizer, m, request.Input{Settings: req.Settings,
		Residuals: req.Residuals, Layout: req.Layout})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return c, nil
}

// RequestModel is the loaded model as cones/request needs it. The scheduler config is read
// from the folder's file as stored, which decides epsilon or v-prediction.
func (g *Generator) RequestModel() (request.Model, error) {
	cfg, err := schedule.ParseConfig(g.Pipeline.Folder.SchedulerConfig)
	if err != nil {
		return request.Model{}, fmt.Errorf("generate: scheduler config: %w", err)
	}
	return request.Model{ID: g.Model(), Networks: g.Pipeline.Model, Scheduler: cfg}, nil
}

// denoiser encodes [unconditional, prompt] and adds the residual rows to the conditional half.
func (g *Generator) denoiser(req Request, c *request.Conditioning) (*denoiser, error) {
	var enc Encoder = g.Pipeline.TextEncoder
	if req.TextEncoder != nil {
		enc = req.TextEncoder
	}
	text, err := enc.Encode([][]int{c.Negative, c.Prompt})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if err := addRows(text, c.Residuals); err != nil {
		return nil, err
	}
	return &denoiser{unet: g.Pipeline.UNet, text: text, grids: c.Grids, weight: c.Settings.GuidanceWeight,
		cfg: float32(c.Settings.CFGScale), latShape: c.LatentShape}, nil
}

// addRows adds each residual row to the conditional embedding (row 1 of text, after the final
// layer norm) at its token, in the order cones/request lists them.
func addRows(text weights.Tensor, rows []request.Row) error {
	n, width := text.Shape[1], text.Shape[2]
	cond := text.Data[n*width:]
	for _, r := range rows {
		if r.Token < 0 || r.Token >= n || len(r.Vector) != width {
			return fmt.Errorf("generate: residual %q: row of %d values at token %d does not fit a %dx%d embedding", r.Word, len(r.Vector), r.Token, n, width)
		}
		row := cond[r.Token*width : (r.Token+1)*width]
		for j, v := range r.Vector {
			row[j] += v
		}
	}
	return nil
}

// Model identifies the loaded text encoder the way residual files record it.
func (g *Generator) Model() residual.Model {
	return residual.Model{Family: g.Pipeline.Family, TextEncoder: g.Pipeline.Fingerprint}
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
