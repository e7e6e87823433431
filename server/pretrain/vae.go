package pretrain

import (
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// VAEObjective weighs the VAE's loss terms: the L1 reconstruction error (weight 1), the KL
// divergence of the latent distribution from a standard normal (mean per latent value), and an
// L1 error on the images' horizontal and vertical gradients, which keeps shape edges crisp (a
// cheap stand-in for a perceptual loss in a world of flat colours).
type VAEObjective struct {
	KL, Edge float64
	// Shape weighs the reconstruction error of the pixels the shapes cover against the
	// background's 1. Shapes cover a small part of most pictures; without the weight the VAE
	// learns the backgrounds long before the shapes.
	Shape float64
}

// vaeLoss is the VAE phase's objective on inputs images ([b, 3, H, W] in [-1, 1]), eps
// ([b, latent, h, w] standard normal, the reparameterisation draw) and the per-pixel weights of
// the reconstruction error ([b, 1, H, W]). It reports the loss, then the reconstruction, KL and
// edge terms.
func vaeLoss(d *weights.VAE, obj VAEObjective) lossFn {
	return func(ctx *context.Context, in []*Node) []*Node {
		images, eps, w := in[0], in[1], in[2]
		mean, logvar := sd.VAEEncodeGraph(ctx, d, images)
		z := Add(mean, Mul(Exp(MulScalar(logvar, 0.5)), eps))
		recon := sd.VAEDecodeGraph(ctx, d, MulScalar(z, d.ScalingFactor))
		rec := Div(ReduceAllMean(Mul(Abs(Sub(recon, images)), w)), ReduceAllMean(w))
		kl := MulScalar(ReduceAllMean(Sub(Add(Square(mean), Exp(logvar)), OnePlus(logvar))), 0.5)
		edge := ReduceAllMean(Abs(Sub(gradients(recon), gradients(images))))
		loss := Add(rec, Add(MulScalar(kl, obj.KL), MulScalar(edge, obj.Edge)))
		return []*Node{loss, rec, kl, edge}
	}
}

// gradients returns the horizontal and vertical differences of every channel of x ([b, c, H, W]),
// as a convolution with fixed kernels (differentiable with respect to x on simplego, unlike a
// slice): [b, H-1, W-1, 2c], channels last.
func gradients(x *Node) *Node {
	c := x.Shape().Dim(1)
	k := make([]float32, 2*c*c*2*2) // [2c, c, 2, 2]
	at := func(o, i, y, xx int) int { return ((o*c+i)*2+y)*2 + xx }
	for ch := range c {
		k[at(2*ch, ch, 0, 0)], k[at(2*ch, ch, 0, 1)] = -1, 1     // d/dx
		k[at(2*ch+1, ch, 0, 0)], k[at(2*ch+1, ch, 1, 0)] = -1, 1 // d/dy
	}
	kernel := ConstTensor(x.Graph(), tensors.FromFlatDataAndDimensions(k, 2*c, c, 2, 2))
	return nn.Conv2D(TransposeAllAxes(x, 0, 2, 3, 1), kernel, nil, nn.ConvSpec{})
}
