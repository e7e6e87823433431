package dotgrad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// cases are DotGenerals as the engine uses them: linear layers, attention scores and values
// (batch and head axes), and the im2col convolution (two contracted axes paired out of order).
var cases = []struct {
	name           string
	lhs, rhs       []int
	lc, lb, rc, rb []int
}{
	{"linear,m=3,k=5,n=4", []int{2, 3, 5}, []int{4, 5}, []int{2}, nil, []int{1}, nil},
	{"scores,b=2,h=3,n=4,m=5,d=2", []int{2, 4, 3, 2}, []int{2, 5, 3, 2}, []int{3}, []int{0, 2}, []int{3}, []int{0, 2}},
	{"values,b=2,h=3,n=4,m=5,d=2", []int{2, 3, 4, 5}, []int{2, 5, 3, 2}, []int{3}, []int{0, 1}, []int{1}, []int{0, 2}},
	{"conv,rows=6,taps=9,in=3,out=4", []int{6, 9, 3}, []int{4, 3, 9}, []int{1, 2}, nil, []int{2, 1}, nil},
	{"outer,m=3,n=2", []int{3, 1}, []int{2, 1}, []int{1}, nil, []int{1}, nil},
}

// grads returns the gradients of sum(DotGeneral(lhs, rhs) * r) with respect to lhs and rhs,
// using the gradient table as it currently is, or this package's vjp when direct.
func grads(t *testing.T, b backends.Backend, c int, direct bool) [2][]float32 {
	t.Helper()
	cs := cases[c]
	rng := rand.New(rand.NewPCG(uint64(c), 1))
	rand := func(dims []int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	lhsT, rhsT := rand(cs.lhs), rand(cs.rhs)
	exec, err := NewExec(b, func(lhs, rhs *Node) []*Node {
		out := DotGeneral(lhs, cs.lc, cs.lb, rhs, cs.rc, cs.rb)
		r := IotaFull(lhs.Graph(), out.Shape())
		r = Sin(r) // a fixed, non-constant weighting of the output
		if direct {
			return vjp(lhs, rhs, axes{cs.lc, cs.lb, cs.rc, cs.rb}, r)
		}
		return Gradient(ReduceAllSum(Mul(out, r)), lhs, rhs)
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(lhsT, rhsT)
	if err != nil {
		t.Fatal(err)
	}
	var res [2][]float32
	for i := range res {
		res[i] = tensors.MustCopyFlatData[float32](outs[i])
	}
	return res
}

func backend(t *testing.T) backends.Backend {
	b, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVJPMatchesGoMLX(t *testing.T) {
	b := backend(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := grads(t, b, i, false) // GoMLX's own gradient (Register not called in this test)
			got := grads(t, b, i, true)
			for k, name := range []string{"lhs", "rhs"} {
				if err := close(got[k], want[k]); err != nil {
					t.Errorf("%s gradient: %v", name, err)
				}
			}
		})
	}
}

func TestRegisterKeepsGradients(t *testing.T) {
	b := backend(t)
	want := make([][2][]float32, len(cases))
	for i := range cases {
		want[i] = grads(t, b, i, true)
	}
	Register()
	Register() // idempotent
	for i, c := range cases {
		got := grads(t, b, i, false)
		for k := range 2 {
			if err := close(got[k], want[i][k]); err != nil {
				t.Errorf("%s after Register: %v", c.name, err)
			}
		}
	}
}

func close(got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			return fmt.Errorf("index %d: got %g, want %g", i, got[i], want[i])
		}
	}
	return nil
}
