package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumRunLanes checks sumRun's documented order (lanes of every eighth element, combined
// pairwise) bit for bit, which the vector build must reproduce, at lengths around the vector
// width and the lane threshold, and that it stays within rounding of a float64 sum.
func TestSumRunLanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 23, 24, 64, 77, 1000, 4099} {
		run := randomFloats(rng, n)
		var want float32 = 0.5
		var exact = 0.5
		if n < minLaneRun {
			for _, v := range run {
				want += v
			}
		} else {
			var l [8]float32
			for i, v := range run {
				l[i%8] += v
			}
			want += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
		}
		for _, v := range run {
			exact += float64(v)
		}
		got := sumRun(0.5, run)
		if got != want {
			t.Errorf("n=%d: sumRun %v, want %v (bits %08x, %08x)", n, got, want, math.Float32bits(got), math.Float32bits(want))
		}
		if math.Abs(float64(got)-exact) > 1e-5*(1+float64(n)) {
			t.Errorf("n=%d: sumRun %v, float64 sum %v", n, got, exact)
		}
	}
}

// TestMaxRunAndFill checks maxRun against a sequential maximum (NaN, signed zeros and
// infinities included) and fill at lengths around the vector width.
func TestMaxRunAndFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 9, 33, 100} {
		for _, special := range []float32{0, nan, inf, -inf, float32(math.Copysign(0, -1))} {
			run := randomFloats(rng, n)
			if n > 0 {
				run[rng.IntN(n)] = special
			}
			want := float32(-3.4e38)
			for _, v := range run {
				want = max(want, v)
			}
			got := maxRun(-3.4e38, run)
			if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Errorf("n=%d special %v: maxRun %v, want %v", n, special, got, want)
			}
		}
		out := make([]float32, n+1)
		fill(out[:n], 2.5)
		for i, v := range out {
			if (i < n && v != 2.5) || (i == n && v != 0) {
				t.Fatalf("fill n=%d: out[%d] = %v", n, i, v)
			}
		}
	}
}
