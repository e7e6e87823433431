package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Linear is x·Wᵀ + b over the last axis of x, for weight [out, in] and bias [out] or nil.
func Linear(x, weight, bias *Node) *Node {
	in := x.Shape().Dim(-1)
	if weight.Rank() != 2 || weight.Shape().Dim(1) != in {
		panic(fmt.Errorf("nn: linear weight %s does not take inputs of width %d (input %s)", weight.Shape(), in, x.Shape()))
	}
	out := DotGeneral(x, []int{x.Rank() - 1}, nil, weight, []int{1}, nil)
	if bias != nil {
		out = Add(out, ExpandLeftToRank(bias, out.Rank()))
	}
	return out
}

// SplitLeading splits the leading axis of x into parts equal pieces (as torch's chunk on dim 0).
// It gathers instead of slicing because Slice has no gradient on simplego; used to split the
// rows of a weight whose output is chunked (GEGLU's projection, the VAE's moments).
func SplitLeading(x *Node, parts int) []*Node {
	n := x.Shape().Dim(0)
	if n%parts != 0 {
		panic(fmt.Errorf("nn: cannot split %s into %d parts", x.Shape(), parts))
	}
	dims := append([]int{parts, n / parts}, x.Shape().Dimensions[1:]...)
	r := Reshape(x, dims...)
	out := make([]*Node, parts)
	for i := range out {
		piece := Gather(r, Const(x.Graph(), []int32{int32(i)}))
		out[i] = Reshape(piece, dims[1:]...)
	}
	return out
}
