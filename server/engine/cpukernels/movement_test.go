package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// at reads a row-major [d0, d1, d2, d3] tensor.
func at(x []float32, dims [4]int, i [4]int) float32 {
	return x[((i[0]*dims[1]+i[1])*dims[2]+i[2])*dims[3]+i[3]]
}

// TestReduceTransposeBroadcastGraph checks ReduceSum/ReduceMax over every subset of axes (sums
// within rounding of the row-major order, maxima exactly),
// Transpose under several permutations and BroadcastInDim against direct indexing.
func TestReduceTransposeBroadcastGraph(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(11, 12))
	dims := [4]int{3, 1, 5, 70}
	x := randomFloats(rng, 3*5*70)
	xt := tensors.FromFlatDataAndDimensions(x, dims[:]...)
	for mask := 1; mask < 16; mask++ {
		var axes []int
		for a := range 4 {
			if mask&(1<<a) != 0 {
				axes = append(axes, a)
			}
		}
		sum := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v *Node) *Node { return ReduceSum(v, axes...) }, xt))
		mx := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v *Node) *Node { return ReduceMax(v, axes...) }, xt))
		// Reference: the same row-major accumulation order.
		var outDims []int
		for a := range 4 {
			if mask&(1<<a) == 0 {
				outDims = append(outDims, dims[a])
			}
		}
		size := 1
		for _, d := range outDims {
			size *= d
		}
		wantSum, wantMax := make([]float32, size), make([]float32, size)
		for i := range wantMax {
			wantMax[i] = -3.4e38
		}
		var i [4]int
		for i[0] = range dims[0] {
			for i[1] = range dims[1] {
				for i[2] = range dims[2] {
					for i[3] = range dims[3] {
						o := 0
						for a := range 4 {
							if mask&(1<<a) == 0 {
								o = o*dims[a] + i[a]
							}
						}
						v := at(x, dims, i)
						wantSum[o] += v
						wantMax[o] = max(wantMax[o], v)
					}
				}
			}
		}
		for o := range size {
			// Sums of long runs are added in lanes (sumRun), not in simplego's order.
			if math.Abs(float64(sum[o]-wantSum[o])) > 1e-5*(1+math.Abs(float64(wantSum[o]))) || mx[o] != wantMax[o] {
				t.Fatalf("reduce %v at %d: sum %g max %g, want %g %g", axes, o, sum[o], mx[o], wantSum[o], wantMax[o])
			}
		}
	}
	for _, perm := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2, 1, 3}, {2, 0, 3, 1}, {1, 3, 0, 2}} {
		got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v *Node) *Node { return TransposeAllDims(v, perm...) }, xt))
		var od [4]int
		for a, p := range perm {
			od[a] = dims[p]
		}
		var o, i [4]int
		flat := 0
		for o[0] = range od[0] {
			for o[1] = range od[1] {
				for o[2] = range od[2] {
					for o[3] = range od[3] {
						for a, p := range perm {
							i[p] = o[a]
						}
						if want := at(x, dims, i); got[flat] != want {
							t.Fatalf("transpose %v at %v: %g, want %g", perm, o, got[flat], want)
						}
						flat++
					}
				}
			}
		}
	}
	// BroadcastInDim through graph.BroadcastToDims: [3, 1, 5, 1] -> [3, 4, 5, 6].
	b := randomFloats(rng, 15)
	bt := tensors.FromFlatDataAndDimensions(b, 3, 1, 5, 1)
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v *Node) *Node { return BroadcastToDims(v, 3, 4, 5, 6) }, bt))
	for f, v := range got {
		i0, i2 := f/(4*5*6), f/6%5
		if v != b[i0*5+i2] {
			t.Fatalf("broadcast at %d: %g, want %g", f, v, b[i0*5+i2])
		}
	}
}

// TestGatherGraph checks graph.Gather of rows and of sub-tensors, with out-of-range indices
// clamped, against direct indexing.
func TestGatherGraph(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(13, 14))
	x := randomFloats(rng, 6*4*3)
	xt := tensors.FromFlatDataAndDimensions(x, 6, 4, 3)
	rows := []int32{0, 5, 2, 2, 9, -1, 3, 1} // 9 and -1 clamp to 5 and 0
	it := tensors.FromFlatDataAndDimensions(rows, 2, 4, 1)
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v, i *Node) *Node { return Gather(v, i) }, xt, it))
	for p, r := range rows {
		r = min(max(r, 0), 5)
		for e := range 12 {
			if got[p*12+e] != x[int(r)*12+e] {
				t.Fatalf("gather rows: pick %d element %d: %g, want %g", p, e, got[p*12+e], x[int(r)*12+e])
			}
		}
	}
	pairs := []int64{0, 0, 5, 3, 2, 1, 7, 7} // int64 indices, the other reader
	pt := tensors.FromFlatDataAndDimensions(pairs, 4, 2)
	got = tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(v, i *Node) *Node { return Gather(v, i) }, xt, pt))
	for p := range 4 {
		r, c := min(max(int(pairs[2*p]), 0), 5), min(max(int(pairs[2*p+1]), 0), 3)
		for e := range 3 {
			if want := x[(r*4+c)*3+e]; got[p*3+e] != want {
				t.Fatalf("gather pairs: pick %d element %d: %g, want %g", p, e, got[p*3+e], want)
			}
		}
	}
}

// TestScatterSumGraph checks graph.ScatterSum of rows with repeated indices against in-order
// accumulation, bit for bit.
func TestScatterSumGraph(t *testing.T) {
	backend := testBackend(t)
	rng := rand.New(rand.NewPCG(19, 20))
	const rows, width, picks = 7, 300, 80 // enough updates to split the columns over goroutines
	base := randomFloats(rng, rows*width)
	upd := randomFloats(rng, picks*width)
	idx := make([]int32, picks)
	for i := range idx {
		idx[i] = int32(rng.IntN(rows))
	}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(o, i, u *Node) *Node {
		return ScatterSum(o, i, u, false, false)
	}, tensors.FromFlatDataAndDimensions(base, rows, width), tensors.FromFlatDataAndDimensions(idx, picks, 1),
		tensors.FromFlatDataAndDimensions(upd, picks, width)))
	want := append([]float32(nil), base...)
	for p, r := range idx {
		for c := range width {
			want[int(r)*width+c] += upd[p*width+c]
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("scatter-sum at %d: %g, want %g", i, got[i], want[i])
		}
	}
}
