//go:build js && wasm

package engine

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
)

// Decoded is a VAE decode's output.
type Decoded struct {
	Width, Height int
	Image         []float32 // [3, H, W] in [-1, 1]
	RGBA          []byte
}

// DecodeOptions adjust Decode.
type DecodeOptions struct {
	// Tile forces tiles of this many latents (0: the memory plan decides, untiled when it fits).
	Tile int
	// KeepImage also reads back the float image (tests).
	KeepImage bool
}

// decoderOptions are the options of the VAE decoder's graph for one tile of plan.
func (e *Engine) decoderOptions(plan gpugraph.TilePlan) gpugraph.VAEOptions {
	return gpugraph.VAEOptions{H: plan.TileH, W: plan.TileW, F16: e.F16, Limit: e.limit()}
}

// Decode turns latents [channels, h, w] into an image: whole when the decoder's buffers fit the
// device, else tile by tile with the overlaps blended (gpugraph.VAETiles). The decoder's programs
// are released afterwards: their memory is only needed while decoding.
func (e *Engine) Decode(ctx context.Context, latents []float32, h, w int, o DecodeOptions) (*Decoded, error) {
	v := e.Model.VAE
	z, f := v.LatentChannels, v.DownsampleFactor()
	if len(latents) != z*h*w {
		return nil, fmt.Errorf("vae: %d latent values for %dx%dx%d", len(latents), z, h, w)
	}
	plan, err := gpugraph.VAETiles(v, h, w, e.F16, e.limit(), 0)
	if o.Tile > 0 {
		plan, err = gpugraph.TileGrid(h, w, o.Tile, f), nil
	}
	if err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	key := fmt.Sprintf("vae/%dx%d", plan.TileH, plan.TileW)
	defer e.drop(key)
	dec, err := e.program(ctx, key, func() (*gpugraph.Graph, error) { return gpugraph.VAEDecoder(v, e.decoderOptions(plan)) }, nil)
	if err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	out := &Decoded{Width: f * w, Height: f * h}
	if plan.Whole() {
		if err := dec.SetF32("latents", 0, latents); err != nil {
			return nil, err
		}
		if err := dec.Run(); err != nil {
			return nil, fmt.Errorf("vae: %w", err)
		}
		return e.finish(ctx, dec, out, o.KeepImage)
	}
	img, err := dec.Buffer("image")
	if err != nil {
		return nil, err
	}
	pk := fmt.Sprintf("pixels/%dx%d", out.Height, out.Width)
	defer e.drop(pk)
	px, err := e.program(ctx, pk, func() (*gpugraph.Graph, error) { return gpugraph.PixelsGraph(out.Height, out.Width) }, nil)
	if err != nil {
		return nil, err
	}
	canvas, err := px.Buffer("image")
	if err != nil {
		return nil, err
	}
	enc := e.Dev.NewEncoder()
	enc.Clear(canvas)
	if err := enc.Submit(); err != nil {
		return nil, err
	}
	for i, t := range plan.Tiles {
		tile := make([]float32, 0, z*t.H*t.W)
		for c := range z {
			for y := t.Y; y < t.Y+t.H; y++ {
				tile = append(tile, latents[(c*h+y)*w+t.X:(c*h+y)*w+t.X+t.W]...)
			}
		}
		bk := fmt.Sprintf("blend/%d", i)
		blend, err := e.program(ctx, bk, func() (*gpugraph.Graph, error) { return gpugraph.TileBlend(t, f, 3, out.Height, out.Width) },
			map[string]*webgpu.Buffer{"tile": img, "canvas": canvas})
		if err != nil {
			return nil, err
		}
		if err := dec.SetF32("latents", 0, tile); err != nil {
			return nil, err
		}
		err = dec.Run()
		if err == nil {
			err = blend.Run()
		}
		e.drop(bk)
		if err != nil {
			return nil, fmt.Errorf("vae: tile %d: %w", i, err)
		}
	}
	if err := px.Run(); err != nil {
		return nil, err
	}
	return e.finish(ctx, px, out, o.KeepImage)
}

// finish reads the pixels (and the float image) of the program that made them.
func (e *Engine) finish(ctx context.Context, p *Program, out *Decoded, keepImage bool) (*Decoded, error) {
	u, err := p.ReadU32(ctx, "pixels")
	if err != nil {
		return nil, err
	}
	out.RGBA = make([]byte, 4*len(u))
	for i, v := range u {
		out.RGBA[4*i], out.RGBA[4*i+1], out.RGBA[4*i+2], out.RGBA[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	if keepImage {
		if out.Image, err = p.ReadF32(ctx, "image"); err != nil {
			return nil, err
		}
	}
	return out, nil
}
