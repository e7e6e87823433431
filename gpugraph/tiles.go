package gpugraph

import (
	"errors"

	"github.com/cones2web/cones2/wgsl"

	"github.com/cones2web/cones2/weights"
)

// Tile is one latent window of a tiled VAE decode and how its decoded pixels blend into the image.
type Tile struct {
	Y, X, H, W int // latent window
	// Ramp lengths in pixels on each side: where this tile overlaps a neighbour, its weight rises
	// linearly across the overlap while the neighbour's falls, so the weights sum to one.
	RampTop, RampBottom, RampLeft, RampRight int
}

// TilePlan is how the decoder covers a latent: one graph of TileH x TileW latents run per Tile.
type TilePlan struct {
	TileH, TileW int
	Tiles        []Tile
}

// Whole reports whether one tile covers everything (the exact, untiled decode).
func (p TilePlan) Whole() bool { return len(p.Tiles) == 1 }

// DefaultVAEBudget is the activation memory above which the decoder runs in tiles.
const DefaultVAEBudget = 768 << 20

// VAETiles chooses how to decode an h x w latent: the whole latent when its graph fits the
// binding limit and its activations the budget (bytes; 0 means DefaultVAEBudget), else the
// largest square tile (a multiple of 8 latents) that does, overlapping its neighbours by a
// quarter of its side, as diffusers' tiled decode does. Tiling changes the result slightly (group
// norms see one tile, borders blend); the untiled decode is exact.
func VAETiles(v *weights.VAE, h, w int, f16 bool, limit, budget uint64) (TilePlan, error) {
	if budget == 0 {
		budget = DefaultVAEBudget
	}
	fits := func(th, tw int) (bool, error) {
		g, err := VAEDecoder(v, VAEOptions{H: th, W: tw, F16: f16, Limit: limit})
		if errors.As(err, new(*TooLargeError)) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		b, _ := GraphBytes(g, PlanMemory(g))
		return b <= budget, nil
	}
	if ok, err := fits(h, w); err != nil {
		return TilePlan{}, err
	} else if ok {
		return TilePlan{TileH: h, TileW: w, Tiles: []Tile{{H: h, W: w}}}, nil
	}
	for t := (min(h, w) - 1) / 8 * 8; t >= 8; t -= 8 {
		if ok, _ := fits(t, t); !ok {
			continue
		}
		return TileGrid(h, w, t, v.DownsampleFactor()), nil
	}
	return TilePlan{}, &TooLargeError{Tensor: "vae decoder tile of 8x8 latents", Bytes: budget, Limit: limit}
}

// TileGrid covers an h x w latent with t x t tiles overlapping by t/4, blending over the overlaps
// (f is the decoder's upsampling factor, which turns latent overlaps into pixel ramps).
func TileGrid(h, w, t, f int) TilePlan {
	p := TilePlan{TileH: t, TileW: t}
	ys, xs := spans(h, t), spans(w, t)
	for i, y := range ys {
		for j, x := range xs {
			tl := Tile{Y: y, X: x, H: t, W: t}
			if i > 0 {
				tl.RampTop = (ys[i-1] + t - y) * f
			}
			if i+1 < len(ys) {
				tl.RampBottom = (y + t - ys[i+1]) * f
			}
			if j > 0 {
				tl.RampLeft = (xs[j-1] + t - x) * f
			}
			if j+1 < len(xs) {
				tl.RampRight = (x + t - xs[j+1]) * f
			}
			p.Tiles = append(p.Tiles, tl)
		}
	}
	return p
}

// TileBlend builds the graph adding one decoded tile (input "tile", [channels, f*t.H, f*t.W])
// into input "canvas" ([channels, imgH, imgW], cleared before the first tile).
func TileBlend(t Tile, f, channels, imgH, imgW int) (*Graph, error) {
	b := newBuilder(false, ^uint64(0))
	tile := b.input("tile", wgsl.F32, channels*f*t.H*f*t.W)
	canvas := b.input("canvas", wgsl.F32, channels*imgH*imgW)
	b.op("vae.blend", wgsl.Blend{}, wgsl.BlendParams{C: u32(channels), TH: u32(f * t.H), TW: u32(f * t.W), H: u32(imgH), W: u32(imgW),
		Y0: u32(f * t.Y), X0: u32(f * t.X), RampT: u32(t.RampTop), RampB: u32(t.RampBottom), RampL: u32(t.RampLeft), RampR: u32(t.RampRight)},
		tile, canvas)
	return b.finish()
}

// PixelsGraph converts input "image" ([3, h, w] in [-1, 1]) to output "pixels" (packed RGBA8).
func PixelsGraph(h, w int) (*Graph, error) {
	b := newBuilder(false, ^uint64(0))
	img := b.input("image", wgsl.F32, 3*h*w)
	px := b.add(Tensor{Name: "pixels", Kind: Output, DType: wgsl.U32, Len: h * w})
	b.g.Outputs["pixels"] = px
	b.op("pixels", wgsl.Pixels{}, wgsl.PixelsParams{HW: u32(h * w)}, img, px)
	return b.finish()
}

// spans places tiles of side t over n, overlapping by at least t/4 and spread evenly, the first
// at 0 and the last flush with the end.
func spans(n, t int) []int {
	if n <= t {
		return []int{0}
	}
	stride := t - t/4
	k := (n-t+stride-1)/stride + 1 // tiles
	out := make([]int, k)
	for i := range out {
		out[i] = i * (n - t) / (k - 1)
	}
	return out
}
