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
	h := weights.WalkVAEDecoder(d, z, gridOf(z), layers{b: b})
	return TransposeAllAxes(h, 0, 3, 1, 2)
}

// VAEEncodeGraph is AutoencoderKL.encode: an image in [-1, 1] ([batch, 3, H, W], NCHW) to the
// mean and log-variance of the latent distribution ([batch, latent, H/8, W/8], unscaled; the
// log-variance clamped to [-30, 20] as diffusers' DiagonalGaussianDistribution does).
func VAEEncodeGraph(ctx *context.Context, d *weights.VAE, image *Node) (mean, logvar *Node) {
	b := builder{ctx: ctx, g: image.Graph(), root: VAEScope}
	x := TransposeAllAxes(image, 0, 2, 3, 1)
	h := weights.WalkVAEEncoder(d, x, gridOf(x), layers{b: b})
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
