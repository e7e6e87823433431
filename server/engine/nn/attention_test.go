package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/cones2web/cones2/server/engine/internal/gradcheck"
	"github.com/cones2web/cones2/server/engine/internal/reference"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// attentionReference runs the plain-Go reference attention on float32 data (w nil: no edit).
func attentionReference(q, k, v []float32, b, n, m, width, heads int, causal bool, w []float32, strength []float32) []float32 {
	var edit *reference.Edit
	if w != nil {
		edit = &reference.Edit{W: reference.F64(w), Strength: reference.F64(strength)}
	}
	return reference.F32(reference.Attention(reference.F64(q), reference.F64(k), reference.F64(v), b, n, m, width, heads, causal, edit))
}

// attention is the whole of multi-head attention (the result is [batch, queries, width]).
func attention(q, k, v *Node, heads int, mask *Node, edit ScoreEdit) *Node {
	return AttentionApply(AttentionProbs(q, k, heads, mask, edit), v)
}

var attentionCases = []struct{ b, n, m, width, heads int }{
	{1, 5, 5, 8, 2},
	{2, 16, 77, 12, 3},
	{2, 3, 7, 4, 1},
}

func TestAttention(t *testing.T) {
	for i, c := range attentionCases {
		for _, causal := range []bool{false, true} {
			if causal && c.n != c.m {
				continue
			}
			t.Run(fmt.Sprintf("b=%d,n=%d,m=%d,width=%d,heads=%d,causal=%v", c.b, c.n, c.m, c.width, c.heads, causal), func(t *testing.T) {
				q := randn(uint64(i), 1, c.b*c.n*c.width)
				k := randn(uint64(10+i), 1, c.b*c.m*c.width)
				v := randn(uint64(20+i), 1, c.b*c.m*c.width)
				want := attentionReference(q, k, v, c.b, c.n, c.m, c.width, c.heads, causal, nil, nil)
				got := MustExecOnce(backend(t), func(q, k, v *Node) *Node {
					var mask *Node
					if causal {
						mask = CausalMask(q.Graph(), c.n)
					}
					return attention(q, k, v, c.heads, mask, nil)
				}, tensorOf(q, c.b, c.n, c.width), tensorOf(k, c.b, c.m, c.width), tensorOf(v, c.b, c.m, c.width))
				assertClose(t, "attention", tensors.MustCopyFlatData[float32](got), want, 1e-5)
			})
		}
	}
}

// layoutMap is a Cones-2-like weight map: +2.5 in a block of queries for token column 2,
// -1e8 outside it, 0 for the other columns.
func layoutMap(n, m int) []float32 {
	w := make([]float32, n*m)
	for i := 0; i < n; i++ {
		if i < n/2 {
			w[i*m+2] = 2.5
		} else {
			w[i*m+2] = -1e8
		}
	}
	return w
}

func TestLayoutGuidance(t *testing.T) {
	const b, n, m, width, heads = 2, 16, 9, 8, 2
	q, k, v := randn(1, 1, b*n*width), randn(2, 1, b*m*width), randn(3, 1, b*m*width)
	w := layoutMap(n, m)
	run := func(w []float32, strength []float32) []float32 {
		out := MustExecOnce(backend(t), func(q, k, v, w, s *Node) *Node {
			return attention(q, k, v, heads, nil, LayoutGuidance{Weights: w, Strength: s})
		}, tensorOf(q, b, n, width), tensorOf(k, b, m, width), tensorOf(v, b, m, width), tensorOf(w, n, m), tensorOf(strength, b))
		return tensors.MustCopyFlatData[float32](out)
	}
	plain := tensors.MustCopyFlatData[float32](MustExecOnce(backend(t), func(q, k, v *Node) *Node {
		return attention(q, k, v, heads, nil, nil)
	}, tensorOf(q, b, n, width), tensorOf(k, b, m, width), tensorOf(v, b, m, width)))

	t.Run("reference", func(t *testing.T) {
		strength := []float32{0, 0.08 * float32(math.Log(1+25))}
		want := attentionReference(q, k, v, b, n, m, width, heads, false, w, strength)
		assertClose(t, "layout attention", run(w, strength), want, 1e-5)
	})
	t.Run("zero-layout-is-plain", func(t *testing.T) {
		got := run(make([]float32, n*m), []float32{0.3, 0.3})
		for i := range got {
			if got[i] != plain[i] {
				t.Fatalf("value %d: %v with an all-zero layout, %v with plain attention", i, got[i], plain[i])
			}
		}
	})
	t.Run("zero-strength-is-plain", func(t *testing.T) {
		got := run(w, []float32{0, 0})
		for i := range got {
			if got[i] != plain[i] {
				t.Fatalf("value %d: %v with zero strength, %v with plain attention", i, got[i], plain[i])
			}
		}
	})
	t.Run("guided-item-changes", func(t *testing.T) {
		got := run(w, []float32{0, 0.5})
		half := len(got) / 2
		assertClose(t, "unedited item", got[:half], plain[:half], 0)
		same := true
		for i := half; i < len(got); i++ {
			same = same && got[i] == plain[i]
		}
		if same {
			t.Fatal("the guided item equals plain attention")
		}
	})
}

func TestAttentionGradient(t *testing.T) {
	const b, n, m, width, heads = 2, 4, 6, 6, 2
	w := layoutMap(n, m)
	for i := range w {
		if w[i] < -1 {
			w[i] = -3 // finite differences need a finite, smooth edit
		}
	}
	w64 := make([]float64, len(w))
	for i := range w {
		w64[i] = float64(w[i])
	}
	for _, guided := range []bool{false, true} {
		t.Run(fmt.Sprintf("guided=%v", guided), func(t *testing.T) {
			err := gradcheck.Check(backend(t), func(in []*Node) *Node {
				var edit ScoreEdit
				if guided {
					edit = LayoutGuidance{Weights: Reshape(Const(in[0].Graph(), w64), n, m), Strength: Const(in[0].Graph(), []float64{0.2, 0.7})}
				}
				return attention(in[0], in[1], in[2], heads, nil, edit)
			}, []gradcheck.Input{
				gradcheck.Random(1, b, n, width), gradcheck.Random(2, b, m, width), gradcheck.Random(3, b, m, width),
			}, 12, 1e-6)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("causal", func(t *testing.T) {
		err := gradcheck.Check(backend(t), func(in []*Node) *Node {
			return attention(in[0], in[1], in[2], heads, CausalMask(in[0].Graph(), n), nil)
		}, []gradcheck.Input{
			gradcheck.Random(1, b, n, width), gradcheck.Random(2, b, n, width), gradcheck.Random(3, b, n, width),
		}, 12, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
	})
}
