package cpukernels

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	if err := Register(); err != nil {
		t.Fatalf("Register: %v", err)
	}
	b, err := simplego.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// TestVerifyLayout: the mirrors match GoMLX v0.26.0, and a mirror that differs from its struct
// in a field's name, type or offset, or in the number of fields, is refused with a reason.
func TestVerifyLayout(t *testing.T) {
	if err := verifyLayout(reflect.TypeFor[nodeMirror](), reflect.TypeFor[simplego.Node]()); err != nil {
		t.Fatalf("Node: %v", err)
	}
	if err := verifyLayout(reflect.TypeFor[bufferMirror](), reflect.TypeFor[simplego.Buffer]()); err != nil {
		t.Fatalf("Buffer: %v", err)
	}
	if _, err := probeDotGeneralData(); err != nil {
		t.Fatalf("DotGeneral data: %v", err)
	}
	if _, err := probeGatherData(); err != nil {
		t.Fatalf("Gather data: %v", err)
	}
	if _, err := probeScatterData(); err != nil {
		t.Fatalf("Scatter data: %v", err)
	}
	actual := reflect.TypeFor[simplego.Buffer]()
	for name, mirror := range map[string]reflect.Type{
		"renamed": reflect.TypeFor[struct {
			shape shapes.Shape
			ok    bool
			flat  any
		}](),
		"retyped": reflect.TypeFor[struct {
			shape shapes.Shape
			valid int
			flat  any
		}](),
		"reordered": reflect.TypeFor[struct {
			valid bool
			shape shapes.Shape
			flat  any
		}](),
		"extra field": reflect.TypeFor[struct {
			shape shapes.Shape
			valid bool
			flat  any
			more  int
		}](),
		"not a struct": reflect.TypeFor[int](),
	} {
		err := verifyLayout(mirror, actual)
		if err == nil || !strings.Contains(err.Error(), "layout of") {
			t.Errorf("%s mirror: verifyLayout = %v, want a layout error", name, err)
		}
	}
}

// einsumReference computes DotGeneral naively: output axes are batch, lhs cross, rhs cross.
func einsumReference(l, r []float32, ld, rd []int, lc, lb, rc, rb []int) ([]float64, []int) {
	kind := func(rank int, c, b []int) []int {
		k := make([]int, rank)
		for _, a := range c {
			k[a] = 1
		}
		for _, a := range b {
			k[a] = 2
		}
		return k
	}
	lk, rk := kind(len(ld), lc, lb), kind(len(rd), rc, rb)
	var outDims, lCross, rCross []int
	for _, a := range lb {
		outDims = append(outDims, ld[a])
	}
	for a, k := range lk {
		if k == 0 {
			lCross = append(lCross, a)
			outDims = append(outDims, ld[a])
		}
	}
	for a, k := range rk {
		if k == 0 {
			rCross = append(rCross, a)
			outDims = append(outDims, rd[a])
		}
	}
	var contractDims []int
	for _, a := range lc {
		contractDims = append(contractDims, ld[a])
	}
	flat := func(dims, idx []int) int {
		f := 0
		for i, d := range dims {
			f = f*d + idx[i]
		}
		return f
	}
	size := 1
	for _, d := range outDims {
		size *= d
	}
	out := make([]float64, size)
	outIdx := make([]int, len(outDims))
	li, ri := make([]int, len(ld)), make([]int, len(rd))
	for o := range out {
		rem := o
		for i := len(outDims) - 1; i >= 0; i-- {
			outIdx[i] = rem % outDims[i]
			rem /= outDims[i]
		}
		for i, a := range lb {
			li[a], ri[rb[i]] = outIdx[i], outIdx[i]
		}
		for i, a := range lCross {
			li[a] = outIdx[len(lb)+i]
		}
		for i, a := range rCross {
			ri[a] = outIdx[len(lb)+len(lCross)+i]
		}
		csize := 1
		for _, d := range contractDims {
			csize *= d
		}
		var s float64
		for c := range csize {
			rem := c
			for i := len(contractDims) - 1; i >= 0; i-- {
				li[lc[i]], ri[rc[i]] = rem%contractDims[i], rem%contractDims[i]
				rem /= contractDims[i]
			}
			s += float64(l[flat(ld, li)]) * float64(r[flat(rd, ri)])
		}
		out[o] = s
	}
	return out, outDims
}

// TestDotGeneralGraph runs DotGeneral through GoMLX on simplego with the kernel registered, on
// batch and contracting axes in every position and order, against the naive reference.
func TestDotGeneralGraph(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		ld, rd         []int
		lc, lb, rc, rb []int
	}{
		{[]int{5, 7}, []int{7, 3}, []int{1}, nil, []int{0}, nil},                               // plain matmul
		{[]int{7, 5}, []int{3, 7}, []int{0}, nil, []int{1}, nil},                               // both transposed
		{[]int{2, 9, 4}, []int{2, 4, 13}, []int{2}, []int{0}, []int{1}, []int{0}},              // batched
		{[]int{9, 2, 4}, []int{13, 4, 2}, []int{2}, []int{1}, []int{1}, []int{2}},              // batch in the middle / last
		{[]int{3, 5, 6, 2}, []int{7, 2, 6}, []int{2, 3}, nil, []int{2, 1}, nil},                // conv-like: 2 contracting, permuted
		{[]int{2, 3, 17, 8}, []int{2, 3, 19, 8}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}}, // attention-like
		{[]int{3, 2, 11}, []int{2, 3, 11}, []int{2}, []int{0, 1}, []int{2}, []int{1, 0}},       // batch axes paired across orders
		{[]int{37, 300}, []int{300, 41}, []int{1}, nil, []int{0}, nil},                         // depth over one kc block
		{[]int{4}, []int{4}, []int{0}, nil, []int{0}, nil},                                     // dot product
	}
	for _, c := range cases {
		size := func(d []int) int {
			n := 1
			for _, v := range d {
				n *= v
			}
			return n
		}
		l, r := randomFloats(rng, size(c.ld)), randomFloats(rng, size(c.rd))
		got := MustExecOnce(backend, func(x, y *Node) *Node {
			return DotGeneral(x, c.lc, c.lb, y, c.rc, c.rb)
		}, tensors.FromFlatDataAndDimensions(l, c.ld...), tensors.FromFlatDataAndDimensions(r, c.rd...))
		want, dims := einsumReference(l, r, c.ld, c.rd, c.lc, c.lb, c.rc, c.rb)
		if !slicesEqual(got.Shape().Dimensions, dims) {
			t.Fatalf("%+v: shape %v, want %v", c, got.Shape().Dimensions, dims)
		}
		k := 1
		for _, a := range c.lc {
			k *= c.ld[a]
		}
		checkClose(t, "DotGeneral", tensors.MustCopyFlatData[float32](got), want, k)
	}
}

func slicesEqual(a, b []int) bool {
	return reflect.DeepEqual(append([]int{}, a...), append([]int{}, b...))
}

// TestElementwiseGraph checks Exp, Logistic, Erf and broadcasting Add/Sub/Mul/Div through GoMLX.
func TestElementwiseGraph(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(9, 10))
	x := randomFloats(rng, 3*5*7)
	for i := range x {
		x[i] *= 30
	}
	x[0], x[1], x[2], x[3] = -200, 200, float32(math.NaN()), 0
	xt := tensors.FromFlatDataAndDimensions(x, 3, 5, 7)
	gotExp := tensors.MustCopyFlatData[float32](MustExecOnce(backend, Exp, xt))
	gotLog := tensors.MustCopyFlatData[float32](MustExecOnce(backend, Logistic, xt))
	// Erf on a dense grid (vector and scalar elements both), and on x's extremes and NaN.
	grid := make([]float32, 0, 1201)
	for i := -600; i <= 600; i++ {
		grid = append(grid, float32(i)/100)
	}
	grid = append(grid, x...)
	gotErf := tensors.MustCopyFlatData[float32](MustExecOnce(backend, Erf, tensors.FromFlatDataAndDimensions(grid, len(grid))))
	for i, v := range grid {
		want := math.Erf(float64(v))
		if d := math.Abs(float64(gotErf[i]) - want); !(d <= 5e-7) && !(math.IsNaN(want) && math.IsNaN(float64(gotErf[i]))) {
			t.Fatalf("erf(%g) = %g, want %g", v, gotErf[i], want)
		}
	}
	for i, v := range x {
		want := float64(float32(math.Exp(float64(v)))) // +Inf where float32 overflows
		if d := math.Abs(float64(gotExp[i]) - want); !(d <= 3e-7*want) && !(math.IsNaN(want) && math.IsNaN(float64(gotExp[i]))) && !(math.IsInf(want, 1) && math.IsInf(float64(gotExp[i]), 1)) && !(want < 1e-37 && gotExp[i] == 0) {
			t.Fatalf("exp(%g) = %g, want %g", v, gotExp[i], want)
		}
		wantL := 1 / (1 + math.Exp(-float64(v)))
		if d := math.Abs(float64(gotLog[i]) - wantL); !(d <= 3e-7) && !(math.IsNaN(wantL) && math.IsNaN(float64(gotLog[i]))) {
			t.Fatalf("logistic(%g) = %g, want %g", v, gotLog[i], wantL)
		}
	}
	// Broadcasting: every pattern of axes of size 1, on both sides, and a scalar; at this size
	// every block is gathered or whole. TestBinaryLarge covers chunked blocks.
	ops := map[string]func(a, b *Node) *Node{"add": Add, "sub": Sub, "mul": Mul, "div": Div}
	ref := map[string]func(a, b float32) float32{
		"add": func(a, b float32) float32 { return a + b }, "sub": func(a, b float32) float32 { return a - b },
		"mul": func(a, b float32) float32 { return a * b }, "div": func(a, b float32) float32 { return a / b },
	}
	full := []int{3, 5, 7}
	for mask := range 8 {
		bd := slicesClone(full)
		for a := range 3 {
			if mask&(1<<a) != 0 {
				bd[a] = 1
			}
		}
		n := bd[0] * bd[1] * bd[2]
		b := randomFloats(rng, n)
		for i := range b {
			b[i] += 2 // away from 0 for Div
		}
		bt := tensors.FromFlatDataAndDimensions(b, bd...)
		for name, op := range ops {
			for _, swap := range []bool{false, true} {
				got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(p, q *Node) *Node {
					if swap {
						return op(q, p)
					}
					return op(p, q)
				}, xt, bt))
				for i := range 3 * 5 * 7 {
					i0, i1, i2 := i/35, i/7%5, i%7
					j := (min(i0, bd[0]-1)*bd[1]+min(i1, bd[1]-1))*bd[2] + min(i2, bd[2]-1)
					want := ref[name](x[i], b[j])
					if swap {
						want = ref[name](b[j], x[i])
					}
					if got[i] != want && !(want != want && got[i] != got[i]) {
						t.Fatalf("%s (b %v, swapped %v) at %d: %g, want %g", name, bd, swap, i, got[i], want)
					}
				}
			}
		}
	}
}

func slicesClone(s []int) []int { return append([]int(nil), s...) }

// TestBinaryLarge: a same-shape op long enough to be split into chunks, a group-norm-like
// broadcast whose blocks are gathered, and broadcasts computed run by run, against scalar
// arithmetic.
func TestBinaryLarge(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(21, 22))
	dims := []int{3, 64, 8, 5} // [batch, hw, groups, channels/groups]
	n := 3 * 64 * 8 * 5 * 40
	x := randomFloats(rng, n)
	y := randomFloats(rng, n)
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, Sub,
		tensors.FromFlatDataAndDimensions(x, n), tensors.FromFlatDataAndDimensions(y, n)))
	for i := range x {
		if got[i] != x[i]-y[i] {
			t.Fatalf("sub at %d: %g, want %g", i, got[i], x[i]-y[i])
		}
	}
	m := randomFloats(rng, 3*8)
	size := 3 * 64 * 8 * 5
	got = tensors.MustCopyFlatData[float32](MustExecOnce(backend, Mul,
		tensors.FromFlatDataAndDimensions(x[:size], dims...), tensors.FromFlatDataAndDimensions(m, 3, 1, 8, 1)))
	for i := range size {
		b, g := i/(64*8*5), i/5%8
		if want := x[i] * m[b*8+g]; got[i] != want {
			t.Fatalf("group broadcast at %d: %g, want %g", i, got[i], want)
		}
	}
	// Broadcasts over middle axes with a long innermost axis (a per-channel bias, a per-row
	// table), which runBinary computes run by run: both operand orders.
	xd := []int{2, 16, 3, 40}
	size = 2 * 16 * 3 * 40
	for _, bd := range [][]int{{1, 16, 1, 1}, {1, 16, 1, 40}} {
		b := randomFloats(rng, bd[1]*bd[3])
		for _, swap := range []bool{false, true} {
			got = tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(p, q *Node) *Node {
				if swap {
					return Sub(q, p)
				}
				return Sub(p, q)
			}, tensors.FromFlatDataAndDimensions(x[:size], xd...), tensors.FromFlatDataAndDimensions(b, bd...)))
			for i := range size {
				ch, w := i/(3*40)%16, i%40
				j := ch*bd[3] + min(w, bd[3]-1)
				want := x[i] - b[j]
				if swap {
					want = b[j] - x[i]
				}
				if got[i] != want {
					t.Fatalf("broadcast %v (swapped %v) at %d: %g, want %g", bd, swap, i, got[i], want)
				}
			}
		}
	}
}
