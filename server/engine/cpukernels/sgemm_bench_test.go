package cpukernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm measures the raw matrix product (packing included) on square sizes, per
// micro-kernel and goroutine count, in GFLOP/s: the machine's sgemm limit that the op-level
// benchmarks (server/engine/sd BenchmarkHotOps) are compared with.
func BenchmarkSgemm(bench *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{256, 512, 1024} {
		a := rowMajor(randomFloats(rng, size*size), 1, size, size)
		b := rowMajor(randomFloats(rng, size*size), 1, size, size)
		c := make([]float32, size*size)
		for name, micro := range kernelsUnderTest() {
			for _, workers := range []int{1, 0} {
				bench.Run(fmt.Sprintf("n=%d/kernel=%s/workers=%d", size, name, workers), func(bench *testing.B) {
					for bench.Loop() {
						gemm(c, a, b, 1, size, size, size, workers, plainScratch, micro)
					}
					flops := 2 * float64(size) * float64(size) * float64(size)
					bench.ReportMetric(flops*float64(bench.N)/bench.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
