package cpukernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randomFloats(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

func plainScratch(n int) ([]float32, func()) { return make([]float32, n), func() {} }

// naiveGemm is the reference: float64 sums of the same products.
func naiveGemm(a, b operand, batch, m, n, k int) []float64 {
	c := make([]float64, batch*m*n)
	for bi := range batch {
		for i := range m {
			for j := range n {
				var s float64
				for t := range k {
					s += float64(a.data[a.batch[bi]+a.rows[i]+a.depth[t]]) * float64(b.data[b.batch[bi]+b.rows[j]+b.depth[t]])
				}
				c[(bi*m+i)*n+j] = s
			}
		}
	}
	return c
}

// checkClose compares got with want within float32 accumulation error for sums of k products of
// values in [-1, 1].
func checkClose(t *testing.T, name string, got []float32, want []float64, k int) {
	t.Helper()
	tol := 1e-6 * float64(k+1) * 4
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d is %g, want %g (|diff| %g > %g)", name, i, got[i], w, d, tol)
		}
	}
}

func kernelsUnderTest() map[string]microKernel {
	ks := map[string]microKernel{"portable": microGeneric}
	if simd, name := simdKernel(); name != "" {
		ks["selected"] = simd
	}
	return ks
}

// TestGemmShapes multiplies row-major [batch, m, k] x [batch, n, k] on many sizes, including
// ones that are not multiples of the tile sizes and depths longer than one kc block.
func TestGemmShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][4]int{ // batch, m, n, k
		{1, 1, 1, 1}, {1, 1, 17, 3}, {1, 7, 1, 5}, {2, 5, 15, 7}, {1, 6, 16, 1}, {3, 13, 33, 31},
		{1, 97, 257, 300}, {2, 64, 64, 64}, {1, 100, 20, 513}, {4, 12, 16, 0},
	}
	for name, micro := range kernelsUnderTest() {
		for _, s := range sizes {
			batch, m, n, k := s[0], s[1], s[2], s[3]
			a := rowMajor(randomFloats(rng, batch*m*k), batch, m, k)
			b := rowMajor(randomFloats(rng, batch*n*k), batch, n, k)
			c := randomFloats(rng, batch*m*n) // garbage: every element must be written
			gemm(c, a, b, batch, m, n, k, 3, plainScratch, micro)
			checkClose(t, name, c, naiveGemm(a, b, batch, m, n, k), k)
		}
	}
}

func rowMajor(data []float32, batch, rows, depth int) operand {
	x := operand{data: data}
	for b := range batch {
		x.batch = append(x.batch, b*rows*depth)
	}
	for i := range rows {
		x.rows = append(x.rows, i*depth)
	}
	for t := range depth {
		x.depth = append(x.depth, t)
	}
	x.classify()
	return x
}

// TestGemmDeterministic: the same bits whatever the number of goroutines.
func TestGemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	batch, m, n, k := 2, 211, 301, 700
	a := rowMajor(randomFloats(rng, batch*m*k), batch, m, k)
	b := rowMajor(randomFloats(rng, batch*n*k), batch, n, k)
	for name, micro := range kernelsUnderTest() {
		var first []float32
		for _, workers := range []int{1, 2, 3, 8} {
			c := make([]float32, batch*m*n)
			gemm(c, a, b, batch, m, n, k, workers, plainScratch, micro)
			if first == nil {
				first = c
				checkClose(t, name, c, naiveGemm(a, b, batch, m, n, k), k)
			} else if !slices.Equal(first, c) {
				t.Fatalf("%s: %d goroutines give other bits than one", name, workers)
			}
		}
	}
}
