package sd

import (
	"fmt"

	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Guide is the Cones 2 layout guidance of one UNet evaluation; a nil *Guide is plain attention.
type Guide struct {
	// Grids maps a cross-attention layer's query length (its grid's pixel count) to the layout
	// weight map W resized to that grid: [queries, text length].
	Grids map[int]*Node
	// Strength is guidance_weight·log(1+σ²) per batch item ([batch]); 0 leaves an item unedited,
	// which is how the unconditional half of a classifier-free-guidance batch runs.
	Strength *Node
}

// edit returns the score edit of a cross-attention layer with n queries.
func (gd *Guide) edit(n int) nn.ScoreEdit {
	if gd == nil {
		return nil
	}
	w, ok := gd.Grids[n]
	if !ok {
		panic(fmt.Errorf("sd: layout guidance has no weight map for %d queries", n))
	}
	return nn.LayoutGuidance{Weights: w, Strength: gd.Strength}
}

// UNetGraph is UNet2DConditionModel as Stable Diffusion uses it: sample ([batch, in, h, w],
// NCHW), the sinusoidal timestep projection tproj ([batch, block_out_channels[0]], see
// nn.TimestepEmbedding) and the text embedding ([batch, length, cross_attention_dim]) to the
// model output ([batch, out, h, w]: epsilon or v, as the model was trained). guide, when not
// nil, applies Cones 2 layout guidance in every cross-attention layer.
func UNetGraph(ctx *context.Context, d *weights.UNet, sample, tproj, text *Node, guide *Guide) *Node {
	return unetGraph(builder{ctx: ctx, g: sample.Graph(), root: UNetScope}, d, sample, tproj, text, guide)
}

// UNetAttentionGraph is UNetGraph that also returns the probabilities of every cross-attention
// layer, in forward order (d.Transformers()), each averaged over heads: [batch, queries, keys].
func UNetAttentionGraph(ctx *context.Context, d *weights.UNet, sample, tproj, text *Node, guide *Guide) (*Node, []*Node) {
	b := builder{ctx: ctx, g: sample.Graph(), root: UNetScope, probe: &attentionProbe{}}
	out := unetGraph(b, d, sample, tproj, text, guide)
	return out, b.probe.maps
}

// unetGraph computes the time embedding, which every resnet takes, then walks the UNet
// (weights.WalkUNet) channels-last.
func unetGraph(b builder, d *weights.UNet, sample, tproj, text *Node, guide *Guide) *Node {
	temb := b.linear(nn.SiLU(b.linear(tproj, d.TimeEmbedding.Linear1)), d.TimeEmbedding.Linear2)
	x := TransposeAllAxes(sample, 0, 2, 3, 1)
	h := weights.WalkUNet(d, x, gridOf(x), layers{b: b, temb: temb, text: text, guide: guide})
	return TransposeAllAxes(h, 0, 3, 1, 2)
}

// transformer is Transformer2DModel on x ([batch, h, w, channels]).
func (b builder) transformer(x, text *Node, d weights.Transformer2D, guide *Guide) *Node {
	bs, hh, ww, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	h := b.linear(Reshape(b.groupNorm(x, d.Norm), bs, hh*ww, c), d.ProjIn)
	for _, blk := range d.Blocks {
		h = Add(h, b.attention(b.layerNorm(h, blk.Norm1), nil, blk.Attn1, nil))
		h = Add(h, b.attention(b.layerNorm(h, blk.Norm2), text, blk.Attn2, guide.edit(hh*ww)))
		h = Add(h, b.feedForward(b.layerNorm(h, blk.Norm3), blk.FF))
	}
	return Add(Reshape(b.linear(h, d.ProjOut), bs, hh, ww, c), x)
}

// feedForward is GEGLU then the output linear. The projection's rows are split into the value
// and gate halves before the product (as two linears), because slicing its output would need
// Slice's gradient, which simplego lacks.
func (b builder) feedForward(x *Node, d weights.FeedForward) *Node {
	w := nn.SplitLeading(b.param(d.Proj.WeightName()), 2)
	bias := nn.SplitLeading(b.param(d.Proj.BiasName()), 2)
	value := nn.Linear(x, w[0], bias[0])
	gate := nn.Linear(x, w[1], bias[1])
	return b.linear(Mul(value, nn.GELU(gate)), d.Out)
}
