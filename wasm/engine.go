//go:build js && wasm

package main

import (
	"context"
	"image"

	"github.com/cones2web/cones2/cones/request"
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
	// Warmed, when not nil, receives once the result of compiling, in the background, what a
	// first picture at the model's native size runs (nil: compiled).
	Warmed <-chan error
}

// Request is one generation: what the engine consumes, built by the shared request builder
// (cones/request, through wasm/generation) exactly as the server's engine builds it, and the
// settings record the gallery keeps with the image.
type Request struct {
	Conditioning *request.Conditioning
	Record       settings.Settings
}

// Step is reported after every sampling step.
type Step struct {
	Index, Total int
	Preview      *image.RGBA // low-resolution view of the current latents; may be nil
}
