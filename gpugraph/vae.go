package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// VAEOptions shape a VAE decoder graph (one latent, or one tile of it).
type VAEOptions struct {
	H, W  int // latent size
	F16   bool
	Limit uint64
}

// VAEDecoder builds Decoder(PostQuantConv(latents / ScalingFactor)): input "latents"
// [channels, H, W], outputs "image" ([3, 8H, 8W] in [-1, 1]) and "pixels" (packed RGBA8).
func VAEDecoder(v *weights.VAE, o VAEOptions) (*Graph, error) {
	if o.H < 1 || o.W < 1 {
		return nil, fmt.Errorf("graph: vae latent %dx%d", o.W, o.H)
	}
	if v.Config.ActFn != "silu" {
		return nil, fmt.Errorf("graph: vae act_fn %q (only silu)", v.Config.ActFn)
	}
	b := newBuilder(o.F16, limitOr(o.Limit))
	z := v.LatentChannels
	in := b.input("latents", wgsl.F32, z*o.H*o.W)
	scaled := Map{T: b.act("latents.scaled", z*o.H*o.W), B: 1, C: z, H: o.H, W: o.W}
	b.op("latents.scaled", wgsl.Eltwise{Op: wgsl.EltScale}, wgsl.EltwiseParams{N: u32(scaled.Len()), S: float32(1 / v.ScalingFactor)}, in, scaled.T)
	img := weights.WalkVAEDecoder(v, scaled, weights.Grid{H: o.H, W: o.W}, layers{b: b})
	b.output("image", img.T)
	px := b.add(Tensor{Name: "pixels", Kind: Output, DType: wgsl.U32, Len: img.HW()})
	b.g.Outputs["pixels"] = px
	b.op("pixels", wgsl.Pixels{}, wgsl.PixelsParams{HW: u32(img.HW())}, img.T, px)
	return b.finish()
}

// vaeAttention is weights.VAEAttention, with the residual (and 1/OutputScale) fused into its
// output projection.
func (b *builder) vaeAttention(h Map, a weights.VAEAttention) Map {
	n := b.groupNorm(h, a.Norm, false)
	q := b.linearFromMap(n, a.Attn.Q)
	k := b.linearFromMap(n, a.Attn.K)
	v := b.linearFromMap(n, a.Attn.V)
	o := b.attention(a.Name, q, k, v, a.Attn.Heads, a.Attn.HeadDim, a.Attn.Scale(), false, nil)
	return b.linearToMap(o, a.Attn.Out, h.H, h.W, h, 1/a.OutputScale)
}
