package sd

import (
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// The description's layers bound to their parameters. Images are channels-last here.

func (b builder) linear(x *Node, d weights.Linear) *Node {
	w := b.param(d.WeightName())
	if d.Conv1x1 {
		w = Reshape(w, d.Out, d.In)
	}
	var bias *Node
	if d.Bias {
		bias = b.param(d.BiasName())
	}
	return nn.Linear(x, w, bias)
}

// conv applies d to x, after nearest-neighbour upsampling by up (1 for none).
func (b builder) conv(x *Node, d weights.Conv2D, up int) *Node {
	var bias *Node
	if d.Bias {
		bias = b.param(d.BiasName())
	}
	spec := nn.ConvSpec{Stride: d.Stride, Pad: [4]int{d.Pad.Top, d.Pad.Bottom, d.Pad.Left, d.Pad.Right}, Upsample: up}
	return nn.Conv2D(x, b.param(d.WeightName()), bias, spec)
}

func (b builder) groupNorm(x *Node, d weights.GroupNorm) *Node {
	return nn.GroupNorm(x, b.param(d.Name+".weight"), b.param(d.Name+".bias"), d.Groups, d.Eps)
}

func (b builder) layerNorm(x *Node, d weights.LayerNorm) *Node {
	return nn.LayerNorm(x, b.param(d.Name+".weight"), b.param(d.Name+".bias"), d.Eps)
}

// attention runs d on x ([batch, queries, width]); keys and values come from context when d is
// a cross-attention. edit, when not nil, changes the raw scores (Cones 2 layout guidance).
func (b builder) attention(x, context *Node, d weights.Attention, edit nn.ScoreEdit) *Node {
	kv := x
	if d.Cross {
		kv = context
	}
	q, k, v := b.linear(x, d.Q), b.linear(kv, d.K), b.linear(kv, d.V)
	var mask *Node
	if d.Causal {
		mask = nn.CausalMask(x.Graph(), x.Shape().Dim(1))
	}
	probs := nn.AttentionProbs(q, k, d.Heads, mask, edit)
	if d.Cross && b.probe != nil {
		b.probe.maps = append(b.probe.maps, ReduceMean(probs, 1)) // [batch, queries, keys], heads averaged
	}
	return b.linear(nn.AttentionApply(probs, v), d.Out)
}

// resnet is ResnetBlock2D; temb is the time embedding ([batch, temb]) or nil in the VAE.
func (b builder) resnet(x, temb *Node, d weights.ResnetBlock) *Node {
	h := b.conv(nn.SiLU(b.groupNorm(x, d.Norm1)), d.Conv1, 1)
	if d.TimeEmbProj != nil {
		t := b.linear(nn.SiLU(temb), *d.TimeEmbProj)
		h = Add(h, InsertAxes(t, 1, 1)) // [batch, 1, 1, out]
	}
	h = b.conv(nn.SiLU(b.groupNorm(h, d.Norm2)), d.Conv2, 1)
	shortcut := x
	if d.Shortcut != nil {
		shortcut = b.conv(x, *d.Shortcut, 1)
	}
	out := Add(shortcut, h)
	if d.OutputScale != 1 {
		out = DivScalar(out, d.OutputScale)
	}
	return out
}
