package nn

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// LayoutGuidance is the Cones 2 layout edit of one cross-attention layer, wrapping the plain
// attention as the official Cones2AttnProcessor wraps diffusers' CrossAttention:
//
//	scores += strength · W · std(scores)
//
// before the 1/sqrt(d) scale and the softmax, where std is the unbiased standard deviation over
// the whole raw score tensor of that batch item (all heads, queries and keys), W is the layout
// weight map resized to this layer's query grid (+2.5 inside a subject's region, a large negative
// elsewhere, for that subject's token columns; 0 for other tokens), and strength is
// guidance_weight·log(1+σ²) for the current step. A zero strength or an all-zero W leaves the
// scores exactly unchanged, which is how the unconditional branch and unguided steps run.
type LayoutGuidance struct {
	// Weights is W: [queries, keys], or [batch, queries, keys] for a map per batch item.
	Weights *Node
	// Strength is guidance_weight·log(1+σ²) per batch item: [batch].
	Strength *Node
}

// EditScores implements ScoreEdit for scores [batch, heads, queries, keys].
func (l LayoutGuidance) EditScores(scores *Node) *Node {
	b := scores.Shape().Dim(0)
	std := ConvertDType(unbiasedStd(scores), scores.DType()) // [b]
	w := l.Weights
	if w.Rank() == 2 {
		w = InsertAxes(w, 0)
	}
	w = InsertAxes(w, 1) // [1 or b, 1, queries, keys]
	perItem := Reshape(Mul(ConvertDType(l.Strength, scores.DType()), std), b, 1, 1, 1)
	return Add(scores, Mul(w, perItem))
}

// unbiasedStd is torch's Tensor.std() of each batch item, accumulated in float64 so that the
// sum over millions of scores (SD at 512 px) keeps full float32 accuracy.
func unbiasedStd(scores *Node) *Node {
	x := ConvertDType(scores, dtypes.Float64)
	b := x.Shape().Dim(0)
	flat := Reshape(x, b, -1)
	n := flat.Shape().Dim(1)
	centred := Sub(flat, ReduceAndKeep(flat, ReduceMean, 1))
	return Sqrt(DivScalar(ReduceSum(Square(centred), 1), float64(n-1)))
}
