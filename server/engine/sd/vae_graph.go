package sd

import (
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// VAEDecodeGraph is AutoencoderKL.decode of latents / scaling_factor: the denoising loop's
// latents ([batch, latent, h, w], NCHW) to an image in [-1, 1] ([batch, 3, 8h, 8w]).
func VAEDecodeGraph(ctx *context.Context, d *weights.VAE, latents *Node) *Node {
	b := builder{ctx: ctx, g: latents.Graph(), root: VAEScope}
	z := DivScalar(TransposeAllAxes(latents, 0, 2, 3, 1), d.ScalingFactor)
	z = b.conv(z, d.PostQuantConv, 1)
	dec := d.Decoder
	h := b.conv(z, dec.ConvIn, 1)
	h = b.vaeMid(h, dec.Mid)
	for _, blk := range dec.Up {
		for _, r := range blk.Resnets {
			h = b.resnet(h, nil, r)
		}
		if blk.Upsample != nil {
			h = b.conv(h, *blk.Upsample, 2)
		}
	}
	h = b.conv(nn.SiLU(b.groupNorm(h, dec.NormOut)), dec.ConvOut, 1)
	return TransposeAllAxes(h, 0, 3, 1, 2)
}

// VAEEncodeGraph is AutoencoderKL.encode: an image in [-1, 1] ([batch, 3, H, W], NCHW) to the
// mean and log-variance of the latent distribution ([batch, latent, H/8, W/8], unscaled; the
// log-variance clamped to [-30, 20] as diffusers' DiagonalGaussianDistribution does).
func VAEEncodeGraph(ctx *context.Context, d *weights.VAE, image *Node) (mean, logvar *Node) {
	b := builder{ctx: ctx, g: image.Graph(), root: VAEScope}
	enc := d.Encoder
	h := b.conv(TransposeAllAxes(image, 0, 2, 3, 1), enc.ConvIn, 1)
	for _, blk := range enc.Down {
		for _, r := range blk.Resnets {
			h = b.resnet(h, nil, r)
		}
		if blk.Downsample != nil {
			h = b.conv(h, *blk.Downsample, 1)
		}
	}
	h = b.vaeMid(h, enc.Mid)
	h = b.conv(nn.SiLU(b.groupNorm(h, enc.NormOut)), enc.ConvOut, 1)
	// quant_conv's output channels are [mean; logvar]: split its kernel rather than its output
	// (Slice has no gradient on simplego).
	q := d.QuantConv
	w := nn.SplitLeading(b.param(q.WeightName()), 2)
	bias := nn.SplitLeading(b.param(q.BiasName()), 2)
	spec := nn.ConvSpec{Stride: q.Stride, Pad: [4]int{q.Pad.Top, q.Pad.Bottom, q.Pad.Left, q.Pad.Right}}
	mean = nn.Conv2D(h, w[0], bias[0], spec)
	logvar = nn.Conv2D(h, w[1], bias[1], spec)
	logvar = MaxScalar(MinScalar(logvar, 20), -30)
	return TransposeAllAxes(mean, 0, 3, 1, 2), TransposeAllAxes(logvar, 0, 3, 1, 2)
}

// vaeMid is the VAE's UNetMidBlock2D: resnet, then (attention, resnet) pairs.
func (b builder) vaeMid(h *Node, m weights.VAEMidBlock) *Node {
	h = b.resnet(h, nil, m.Resnets[0])
	for i, a := range m.Attentions {
		h = b.vaeAttention(h, a)
		h = b.resnet(h, nil, m.Resnets[i+1])
	}
	return h
}

// vaeAttention is diffusers' AttentionBlock: single-head self-attention over all pixels.
func (b builder) vaeAttention(x *Node, a weights.VAEAttention) *Node {
	bs, hh, ww, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	h := Reshape(b.groupNorm(x, a.Norm), bs, hh*ww, c)
	h = Reshape(b.attention(h, nil, a.Attn, nil), bs, hh, ww, c)
	out := Add(h, x)
	if a.OutputScale != 1 {
		out = DivScalar(out, a.OutputScale)
	}
	return out
}
