package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// GroupNorm normalises x ([batch, ..., channels], channels last) over groups of channels and all
// positions, then applies the per-channel weight and bias, as torch.nn.GroupNorm does on the
// channels-first tensor.
func GroupNorm(x, weight, bias *Node, groups int, eps float64) *Node {
	c := x.Shape().Dim(-1)
	if groups <= 0 || c%groups != 0 {
		panic(fmt.Errorf("nn: group norm of %d channels into %d groups", c, groups))
	}
	b := x.Shape().Dim(0)
	grouped := Reshape(x, b, -1, groups, c/groups)
	normed := Reshape(normalize(grouped, []int{1, 3}, eps), x.Shape().Dimensions...)
	return Add(Mul(normed, ExpandLeftToRank(weight, x.Rank())), ExpandLeftToRank(bias, x.Rank()))
}

// LayerNorm normalises the last axis of x and applies the affine weight and bias.
func LayerNorm(x, weight, bias *Node, eps float64) *Node {
	normed := normalize(x, []int{x.Rank() - 1}, eps)
	return Add(Mul(normed, ExpandLeftToRank(weight, x.Rank())), ExpandLeftToRank(bias, x.Rank()))
}

// normalize subtracts the mean over axes and divides by sqrt(biased variance + eps). It divides
// by Sqrt rather than multiplying by Rsqrt, which has no gradient in GoMLX.
func normalize(x *Node, axes []int, eps float64) *Node {
	centred := Sub(x, ReduceAndKeep(x, ReduceMean, axes...))
	variance := ReduceAndKeep(Square(centred), ReduceMean, axes...)
	return Div(centred, Sqrt(AddScalar(variance, eps)))
}
