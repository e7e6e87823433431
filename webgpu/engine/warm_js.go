//go:build js && wasm

package engine

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/gpugraph"
)

// Warm compiles the pipelines of a generation at width x height with a layout (text encoder,
// text keys and values, UNet, VAE decoder) without building its programs, so that the first
// Generate waits for none of them: the page runs it in the background once a model has loaded,
// while the person writes a prompt (SwiftShader takes seconds to compile them). A kernel it
// misses, Generate compiles as before; one it is still compiling, Generate waits for.
func (e *Engine) Warm(ctx context.Context, width, height int) error {
	f := e.Model.VAE.DownsampleFactor()
	if width <= 0 || height <= 0 || width%f != 0 || height%f != 0 {
		return fmt.Errorf("warm: image %dx%d is not a positive multiple of %d", width, height, f)
	}
	h, w := height/f, width/f
	plan, err := gpugraph.VAETiles(e.Model.VAE, h, w, e.F16, e.limit(), 0)
	if err != nil {
		return fmt.Errorf("warm: vae: %w", err)
	}
	o := e.unetOptions(h, w, true)
	for _, build := range []func() (*gpugraph.Graph, error){
		func() (*gpugraph.Graph, error) { return gpugraph.TextEncoder(e.Model.TextEncoder, e.textOptions()) },
		func() (*gpugraph.Graph, error) { return gpugraph.UNetTextKV(e.Model.UNet, o) },
		func() (*gpugraph.Graph, error) { return gpugraph.UNet(e.Model.UNet, o) },
		func() (*gpugraph.Graph, error) { return gpugraph.VAEDecoder(e.Model.VAE, e.decoderOptions(plan)) },
	} {
		g, err := build()
		if err != nil {
			return fmt.Errorf("warm: %w", e.limitError(err))
		}
		for _, op := range g.Ops {
			if _, err := e.run.Pipeline(ctx, e.run.Variant(op.Kernel, op.Params)); err != nil {
				return fmt.Errorf("warm: %s: %w", op.Name, err)
			}
		}
	}
	return nil
}
