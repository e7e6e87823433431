package sd

import (
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TextEncoderGraph is CLIPTextModel up to last_hidden_state: token ids ([batch, length], int32)
// to the conditioning ([batch, length, width]). Differentiable with respect to every text
// encoder variable (the trainer fine-tunes them), so embeddings are gathered, never sliced.
func TextEncoderGraph(ctx *context.Context, d *weights.TextEncoder, ids *Node) *Node {
	b := builder{ctx: ctx, g: ids.Graph(), root: TextEncoderScope}
	return TextEncoderTokensGraph(ctx, d, Gather(b.param(d.TokenEmbedding.Name+".weight"), InsertAxes(ids, -1)))
}

// TextEncoderTokensGraph is TextEncoderGraph from the token embeddings ([batch, length, width],
// the rows of the token embedding table for the ids) rather than the ids. The subject trainer
// gathers the few rows its prompt uses from its own variable, so that its gradient is those
// rows rather than a dense copy of the whole vocabulary's table.
func TextEncoderTokensGraph(ctx *context.Context, d *weights.TextEncoder, tokens *Node) *Node {
	b := builder{ctx: ctx, g: tokens.Graph(), root: TextEncoderScope}
	n := tokens.Shape().Dim(1)
	positions := Gather(b.param(d.PositionEmbedding.Name+".weight"), InsertAxes(Iota(b.g, shapesOf(int32DType, n), 0), -1))
	x := Add(tokens, InsertAxes(positions, 0))
	for _, l := range d.Layers {
		x = clipLayer(b, x, l)
	}
	return b.layerNorm(x, d.FinalNorm)
}

func clipLayer(b builder, x *Node, l weights.CLIPLayer) *Node {
	act, err := nn.Activation(l.Act)
	if err != nil {
		panic(err) // the config was validated against the same list
	}
	x = Add(x, b.attention(b.layerNorm(x, l.Norm1), nil, l.Attn, nil))
	h := b.linear(act(b.linear(b.layerNorm(x, l.Norm2), l.FC1)), l.FC2)
	return Add(x, h)
}
