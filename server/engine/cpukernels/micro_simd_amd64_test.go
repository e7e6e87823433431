//go:build goexperiment.simd

package cpukernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"simd/archsimd"
)

// TestMicroAVX2Bits checks the assembly micro-kernel bit for bit against one float32 fused
// multiply-add per step in increasing t (what the archsimd kernel before it computed, and what
// the documented determinism rests on), with and without loading c, and that it writes nothing
// outside its 4x16 tile.
func TestMicroAVX2Bits(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("the CPU lacks AVX2 or FMA")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kc := range []int{1, 2, 7, 64, 255} {
		for _, load := range []bool{false, true} {
			lda, ldc := kc+3, nr+5
			a := randomFloats(rng, 3*lda+kc+1)
			b := randomFloats(rng, kc*nr+1)
			c := randomFloats(rng, 3*ldc+nr+4)
			want := append([]float32(nil), c...)
			for r := range mr {
				for j := range nr {
					acc := float32(0)
					if load {
						acc = want[r*ldc+j]
					}
					for k := range kc {
						acc = float32(math.FMA(float64(a[r*lda+k]), float64(b[k*nr+j]), float64(acc)))
					}
					want[r*ldc+j] = acc
				}
			}
			microAVX2(kc, a, lda, b, c, ldc, load)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					t.Fatalf("kc=%d load=%v: c[%d] = %v, want %v", kc, load, i, c[i], want[i])
				}
			}
		}
	}
}
