package nn

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/server/engine/internal/gradcheck"
	"github.com/cones2web/cones2/server/engine/internal/reference"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// groupNormReference runs the plain-Go reference group norm on float32 data.
func groupNormReference(x []float32, b, p, c, groups int, weight, bias []float32, eps float64) []float32 {
	return reference.F32(reference.GroupNorm(reference.F64(x), b, p, c, groups, reference.F64(weight), reference.F64(bias), eps))
}

func TestGroupNorm(t *testing.T) {
	for i, c := range []struct{ b, h, w, c, groups int }{{1, 4, 4, 8, 2}, {2, 3, 5, 32, 32}, {2, 1, 1, 6, 3}} {
		t.Run(fmt.Sprintf("b=%d,h=%d,w=%d,c=%d,groups=%d", c.b, c.h, c.w, c.c, c.groups), func(t *testing.T) {
			x := randn(uint64(i), 2, c.b*c.h*c.w*c.c)
			for j := range x {
				x[j] += 3 // an offset the normalisation must remove
			}
			wt, bs := randn(uint64(10+i), 1, c.c), randn(uint64(20+i), 1, c.c)
			want := groupNormReference(x, c.b, c.h*c.w, c.c, c.groups, wt, bs, 1e-5)
			got := MustExecOnce(backend(t), func(x, w, b *Node) *Node { return GroupNorm(x, w, b, c.groups, 1e-5) },
				tensorOf(x, c.b, c.h, c.w, c.c), tensorOf(wt, c.c), tensorOf(bs, c.c))
			assertClose(t, "group norm", tensors.MustCopyFlatData[float32](got), want, 1e-5)
		})
	}
}

func TestLayerNorm(t *testing.T) {
	const b, n, c = 2, 5, 12
	x, wt, bs := randn(1, 3, b*n*c), randn(2, 1, c), randn(3, 1, c)
	// Layer norm is group norm with one group over a single position.
	want := groupNormReference(x, b*n, 1, c, 1, wt, bs, 1e-5)
	got := MustExecOnce(backend(t), func(x, w, b *Node) *Node { return LayerNorm(x, w, b, 1e-5) },
		tensorOf(x, b, n, c), tensorOf(wt, c), tensorOf(bs, c))
	assertClose(t, "layer norm", tensors.MustCopyFlatData[float32](got), want, 1e-5)
}

func TestNormGradients(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		err := gradcheck.Check(backend(t), func(in []*Node) *Node { return GroupNorm(in[0], in[1], in[2], 2, 1e-5) },
			[]gradcheck.Input{gradcheck.Random(1, 2, 3, 3, 4), gradcheck.Random(2, 4), gradcheck.Random(3, 4)}, 12, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("layer", func(t *testing.T) {
		err := gradcheck.Check(backend(t), func(in []*Node) *Node { return LayerNorm(in[0], in[1], in[2], 1e-5) },
			[]gradcheck.Input{gradcheck.Random(1, 2, 3, 5), gradcheck.Random(2, 5), gradcheck.Random(3, 5)}, 12, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
	})
}
