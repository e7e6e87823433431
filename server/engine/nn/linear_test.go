package nn

import (
	"math"
	"testing"

	"github.com/cones2web/cones2/server/engine/internal/gradcheck"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestLinear(t *testing.T) {
	const b, n, in, out = 2, 3, 5, 4
	x, w, bias := randn(1, 1, b*n*in), randn(2, 1, out*in), randn(3, 1, out)
	want := make([]float32, b*n*out)
	for r := 0; r < b*n; r++ {
		for o := 0; o < out; o++ {
			s := float64(bias[o])
			for i := 0; i < in; i++ {
				s += float64(x[r*in+i]) * float64(w[o*in+i])
			}
			want[r*out+o] = float32(s)
		}
	}
	got := MustExecOnce(backend(t), func(x, w, b *Node) *Node { return Linear(x, w, b) },
		tensorOf(x, b, n, in), tensorOf(w, out, in), tensorOf(bias, out))
	assertClose(t, "linear", tensors.MustCopyFlatData[float32](got), want, 1e-6)
	err := gradcheck.Check(backend(t), func(in []*Node) *Node { return Linear(in[0], in[1], in[2]) },
		[]gradcheck.Input{gradcheck.Random(1, b, n, in), gradcheck.Random(2, out, in), gradcheck.Random(3, out)}, 10, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
}

func TestSplitLeading(t *testing.T) {
	x := randn(1, 1, 6*4)
	parts := MustExecOnceN(backend(t), func(x *Node) []*Node { return SplitLeading(x, 3) }, tensorOf(x, 6, 4))
	for p, part := range parts {
		assertClose(t, "part", tensors.MustCopyFlatData[float32](part), x[p*8:(p+1)*8], 0)
	}
	err := gradcheck.Check(backend(t), func(in []*Node) *Node {
		s := SplitLeading(in[0], 2)
		return Mul(s[0], Square(s[1]))
	}, []gradcheck.Input{gradcheck.Random(1, 4, 3)}, 12, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
}

func TestActivations(t *testing.T) {
	x := randn(1, 3, 64)
	refs := map[string]func(float64) float64{
		"silu":       func(v float64) float64 { return v / (1 + math.Exp(-v)) },
		"gelu":       func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		"quick_gelu": func(v float64) float64 { return v / (1 + math.Exp(-1.702*v)) },
	}
	for name, ref := range refs {
		t.Run(name, func(t *testing.T) {
			act, err := Activation(name)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, len(x))
			for i, v := range x {
				want[i] = float32(ref(float64(v)))
			}
			got := MustExecOnce(backend(t), func(x *Node) *Node { return act(x) }, tensorOf(x, len(x)))
			assertClose(t, name, tensors.MustCopyFlatData[float32](got), want, 1e-6)
			if err := gradcheck.Check(backend(t), func(in []*Node) *Node { return act(in[0]) },
				[]gradcheck.Input{gradcheck.Random(5, 16)}, 16, 1e-6); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := Activation("relu6"); err == nil {
		t.Fatal("unknown activation accepted")
	}
}
