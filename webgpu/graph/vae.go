package graph

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
	d := v.Decoder
	h := b.conv(scaled, v.PostQuantConv, convOpts{})
	h = b.conv(h, d.ConvIn, convOpts{})
	h = b.vaeMid(h, d.Mid)
	for _, blk := range d.Up {
		for _, r := range blk.Resnets {
			h = b.resnet(h, r, nil)
		}
		if blk.Upsample != nil {
			h = b.conv(h, *blk.Upsample, convOpts{upsample: true})
		}
	}
	img := b.conv(b.groupNorm(h, d.NormOut, true), d.ConvOut, convOpts{})
	b.output("image", img.T)
	px := b.add(Tensor{Name: "pixels", Kind: Output, DType: wgsl.U32, Len: img.HW()})
	b.g.Outputs["pixels"] = px
	b.op("pixels", wgsl.Pixels{}, wgsl.PixelsParams{HW: u32(img.HW())}, img.T, px)
	return b.finish()
}

func (b *builder) vaeMid(h Map, m weights.VAEMidBlock) Map {
	h = b.resnet(h, m.Resnets[0], nil)
	for i, a := range m.Attentions {
		n := b.groupNorm(h, a.Norm, false)
		q := b.linearFromMap(n, a.Attn.Q)
		k := b.linearFromMap(n, a.Attn.K)
		v := b.linearFromMap(n, a.Attn.V)
		o := b.attention(a.Name, q, k, v, a.Attn.Heads, a.Attn.HeadDim, a.Attn.Scale(), false, nil)
		h = b.linearToMap(o, a.Attn.Out, h.H, h.W, h, 1/a.OutputScale)
		h = b.resnet(h, m.Resnets[i+1], nil)
	}
	return h
}
