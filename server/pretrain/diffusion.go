package pretrain

import (
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// diffusionLoss is the text encoder + UNet phase's objective: the epsilon-prediction error of
// the UNet on noisy latents, conditioned on the text encoder's output for the captions, weighted
// per sample (Min-SNR weighting). Inputs: token ids [b, 77] int32, noisy latents [b, c, h, w],
// the timesteps' sinusoidal projection [b, block_out_channels[0]], the noise [b, c, h, w], the
// per-sample weights [b], the empty prompt's ids [b, 77] and which text positions the UNet sees
// of the caption (1) or of the empty prompt (0) [b, 77] (see DiffusionPhase.IsolateSubjects).
// It reports the weighted loss, then the plain mean squared error.
func diffusionLoss(te *weights.TextEncoder, u *weights.UNet) lossFn {
	return func(ctx *context.Context, in []*Node) []*Node {
		ids, noisy, tproj, target, w, uncond, keep := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
		text := sd.TextEncoderGraph(ctx, te, ids)
		empty := sd.TextEncoderGraph(ctx, te, uncond)
		keep = InsertAxes(keep, -1)
		text = Add(Mul(keep, text), Mul(OneMinus(keep), empty))
		pred := sd.UNetGraph(ctx, u, noisy, tproj, text, nil)
		perSample := ReduceMean(Square(Sub(pred, target)), 1, 2, 3)
		loss := ReduceAllMean(Mul(perSample, w))
		return []*Node{loss, ReduceAllMean(perSample)}
	}
}
