package cpukernels

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cones2web/cones2/server/engine/dotgrad"
	"github.com/cones2web/cones2/server/engine/nn"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// sgemmLimit measures the kernel's own peak once: a 1024³ product on every core, packing
// included, the best of three. Hot-op rates are reported next to it so the gap is visible.
var sgemmLimit = sync.OnceValue(func() float64 {
	rng := rand.New(rand.NewPCG(15, 16))
	const size = 1024
	a := rowMajor(randomFloats(rng, size*size), 1, size, size)
	b := rowMajor(randomFloats(rng, size*size), 1, size, size)
	c := make([]float32, size*size)
	micro, _ := simdKernel()
	best := 0.0
	for range 3 { // timed by hand: testing.Benchmark would deadlock inside a benchmark
		start := time.Now()
		gemm(c, a, b, 1, size, size, size, 0, plainScratch, micro)
		best = max(best, 2*size*size*size/time.Since(start).Seconds())
	}
	return best
})

// BenchmarkHotOps times the engine's hot operations as the model graphs express them (a linear
// layer through nn.Linear, a 3x3 convolution through nn.Conv2D, multi-head attention through
// nn.AttentionProbs and nn.AttentionApply), forward and forward+backward (the gradient with
// respect to every input, with dotgrad's DotGeneral gradient as training uses), on SD-like sizes
// at a 16x16 latent. It reports GFLOP/s counted from the matrix products (2 per multiply-add;
// backward is twice the forward) and the sgemm-limit of this machine.
func BenchmarkHotOps(b *testing.B) {
	backend := testBackend(b)
	dotgrad.Register()
	rng := rand.New(rand.NewPCG(17, 18))
	type op struct {
		name   string
		inputs [][]int
		flops  float64 // forward
		fn     func(in []*Node) *Node
	}
	const tokens, width, heads = 256, 320, 5
	ops := []op{
		{"linear/512x320->1280", [][]int{{2 * tokens, width}, {4 * width, width}}, 2 * 2 * tokens * width * 4 * width,
			func(in []*Node) *Node { return nn.Linear(in[0], in[1], nil) }},
		{"conv3x3/b=2,hw=16,cin=320,cout=320", [][]int{{2, 16, 16, width}, {width, width, 3, 3}}, 2 * 2 * 16 * 16 * width * width * 9,
			func(in []*Node) *Node { return nn.Conv2D(in[0], in[1], nil, nn.ConvSpec{Pad: [4]int{1, 1, 1, 1}}) }},
		{"attention/b=2,heads=5,q=256,k=256,d=64", [][]int{{2, tokens, width}, {2, tokens, width}, {2, tokens, width}}, 2 * 2 * 2 * tokens * tokens * width,
			func(in []*Node) *Node {
				return nn.AttentionApply(nn.AttentionProbs(in[0], in[1], heads, nil, nil), in[2])
			}},
	}
	limit := sgemmLimit()
	for _, o := range ops {
		args := make([]any, len(o.inputs))
		for i, dims := range o.inputs {
			n := 1
			for _, d := range dims {
				n *= d
			}
			x := randomFloats(rng, n)
			for j := range x {
				x[j] *= 0.1
			}
			args[i] = tensors.FromFlatDataAndDimensions(x, dims...)
		}
		for _, pass := range []string{"forward", "forward+backward"} {
			b.Run(fmt.Sprintf("%s/%s", o.name, pass), func(b *testing.B) {
				flops := o.flops
				exec := MustNewExec(backend, func(in []*Node) []*Node {
					out := o.fn(in)
					if pass == "forward" {
						return []*Node{out}
					}
					// Backward: the gradients of a weighted sum of the output (forward included).
					loss := ReduceAllSum(Mul(out, Sin(out)))
					return Gradient(loss, in...)
				})
				defer exec.Finalize()
				if pass == "forward+backward" {
					flops *= 3
				}
				exec.MustExec(args...)
				for b.Loop() {
					for _, t := range exec.MustExec(args...) {
						t.MustFinalizeAll()
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(limit/1e9, "sgemm-limit-GFLOP/s")
			})
		}
	}
}
