package nn

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// ScoreEdit changes the raw attention scores Q·Kᵀ ([batch, heads, queries, keys], before the
// 1/sqrt(d) scale and the softmax). It is the hook through which Cones 2 layout guidance enters
// attention, in the way a diffusers attention processor replaces the plain one.
type ScoreEdit interface {
	EditScores(scores *Node) *Node
}

// AttentionProbs is the first half of multi-head scaled dot-product attention on projected q
// ([batch, queries, width]) and k ([batch, keys, width]), split into heads along the width: the
// attention probabilities softmax((Q·Kᵀ [+ edit])/sqrt(d)) per head, [batch, heads, queries,
// keys]. mask, when not nil, is a boolean broadcastable to that shape whose false entries are
// excluded; edit, when not nil, changes the raw scores. The two halves are separate because
// the UNet reads the cross-attention probabilities themselves (its attention maps).
func AttentionProbs(q, k *Node, heads int, mask *Node, edit ScoreEdit) *Node {
	b, n, width := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2)
	m := k.Shape().Dim(1)
	if heads <= 0 || width%heads != 0 || k.Shape().Dim(2) != width {
		panic(fmt.Errorf("nn: attention of q %s and k %s with %d heads", q.Shape(), k.Shape(), heads))
	}
	d := width / heads
	qh := Reshape(q, b, n, heads, d)
	kh := Reshape(k, b, m, heads, d)
	scores := DotGeneral(qh, []int{3}, []int{0, 2}, kh, []int{3}, []int{0, 2}) // [b, heads, n, m]
	if edit != nil {
		scores = edit.EditScores(scores)
	}
	scores = MulScalar(scores, 1/math.Sqrt(float64(d)))
	if mask != nil {
		full := BroadcastToDims(ExpandLeftToRank(mask, 4), scores.Shape().Dimensions...)
		scores = Where(full, scores, Scalar(scores.Graph(), scores.DType(), maskedScore))
	}
	return Softmax(scores, -1)
}

// AttentionApply is the second half: probabilities [batch, heads, queries, keys]
// times v ([batch, keys, width]), heads merged back: [batch, queries, width].
func AttentionApply(probs, v *Node) *Node {
	b, heads, n, m := probs.Shape().Dim(0), probs.Shape().Dim(1), probs.Shape().Dim(2), probs.Shape().Dim(3)
	width := v.Shape().Dim(2)
	if v.Shape().Dim(0) != b || v.Shape().Dim(1) != m || width%heads != 0 {
		panic(fmt.Errorf("nn: attention probabilities %s do not fit values %s", probs.Shape(), v.Shape()))
	}
	vh := Reshape(v, b, m, heads, width/heads)
	out := DotGeneral(probs, []int{3}, []int{0, 1}, vh, []int{1}, []int{0, 2}) // [b, heads, n, d]
	return Reshape(TransposeAllAxes(out, 0, 2, 1, 3), b, n, width)
}

// maskedScore replaces masked-out scores: the most negative finite float32, as transformers does,
// so a fully masked row stays finite (it never happens with a causal mask).
const maskedScore = -math.MaxFloat32

// CausalMask is the [queries, keys] boolean mask of a causal (left-to-right) self-attention.
func CausalMask(g *Graph, n int) *Node {
	rows := Iota(g, shapesOf(int32DType, n, n), 0)
	cols := Iota(g, shapesOf(int32DType, n, n), 1)
	return GreaterOrEqual(rows, cols)
}
