//go:build js && wasm

package main

import (
	"context"
	"image"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/settings"
)

// Engine is all the page needs from the GPU engine (webgpu/): load the model folder onto the
// GPU with byte progress, generate with per-step progress and a latent preview, honour
// cancellation. The page never computes an image itself. engine_webgpu.go adapts webgpu/engine.
type Engine interface {
	// Load reads the model from the model folder at base (a same-origin URL ending in "/",
	// fetched with Range requests) onto the GPU, calling progress with the bytes of one
	// component (text_encoder, unet, vae) uploaded so far. files, when not nil, are the
	// folder's files as its manifest lists them: no other file is asked for.
	Load(ctx context.Context, base string, files []string, progress func(component string, done int64)) (ModelInfo, error)
	// Samplers lists the sampler names Generate accepts.
	Samplers() []string
	// Generate runs one sampling of req, calling step after every step.
	Generate(ctx context.Context, req *Request, step func(Step)) (*image.RGBA, error)
	// Close frees the GPU resources.
	Close()
}

// ModelInfo is what the engine tells the page about the loaded model.
type ModelInfo struct {
	GPUBytes   int64  // GPU memory the weights take
	GPUSummary string // what the GPU holds and whether a generation fits, for people
}

// Request is one generation: the settings as the person chose them, resolved against the
// tokenizer and the subject library.
type Request struct {
	Settings settings.Settings
	IDs      []int // padded prompt token ids (MaxTokens of them)
	Negative []int // padded token ids of the unconditional prompt ("")
	// Residuals to add to the conditional text embedding, each at its word's token positions.
	Residuals []Residual
	// Layout guides the cross-attention; Positions[i] are the token positions of subject i.
	Layout    *layout.Layout
	Positions [][]int
}

// Residual is one subject bound to the prompt: its vectors (one per token of its word, Tokens
// rows of Width) and every occurrence of the word (Tokens positions each, position 0 being
// <|startoftext|>). Row i is added at the i-th position of each occurrence.
type Residual struct {
	Word          string
	Tokens, Width int
	Vector        []float32
	Occurrences   [][]int
}

// Step is reported after every sampling step.
type Step struct {
	Index, Total int
	Preview      *image.RGBA // low-resolution view of the current latents; may be nil
}
