package sd

import (
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// layers is the GoMLX engine's weights.Visitor: it builds each layer the walks name on
// channels-last nodes. temb, text and guide are nil in the VAE.
type layers struct {
	b     builder
	temb  *Node // the UNet's time embedding, [batch, temb]
	text  *Node // the text embedding, [batch, length, cross_attention_dim]
	guide *Guide
}

func (l layers) Conv(x *Node, c weights.Conv2D, _ weights.Grid) *Node { return l.b.conv(x, c, 1) }

// Upsample folds the nearest ×2 into the convolution.
func (l layers) Upsample(x *Node, c weights.Conv2D, _ weights.Grid) *Node { return l.b.conv(x, c, 2) }

func (l layers) Resnet(x *Node, r weights.ResnetBlock, _ weights.Grid) *Node {
	return l.b.resnet(x, l.temb, r)
}

func (l layers) Concat(h, skip *Node, _ weights.ResnetBlock, _ weights.Grid) *Node {
	return Concatenate([]*Node{h, skip}, -1)
}

func (l layers) Transformer(x *Node, t weights.Transformer2D, _ weights.Grid) *Node {
	return l.b.transformer(x, l.text, t, l.guide)
}

func (l layers) VAEAttention(x *Node, a weights.VAEAttention, _ weights.Grid) *Node {
	return l.b.vaeAttention(x, a)
}

func (l layers) NormAct(x *Node, n weights.GroupNorm, _ weights.Grid) *Node {
	return nn.SiLU(l.b.groupNorm(x, n))
}

// gridOf is the grid of a channels-last image [batch, h, w, channels].
func gridOf(x *Node) weights.Grid {
	return weights.Grid{H: x.Shape().Dim(1), W: x.Shape().Dim(2)}
}
