package nn

import (
	"fmt"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// BenchmarkConv2D times the gathered-columns convolution against GoMLX's ConvGeneral (forward)
// and an alternative column order, reporting GFLOP/s (2·MACs per second).
func BenchmarkConv2D(b *testing.B) {
	for _, c := range []struct{ batch, hw, cin, cout int }{{1, 32, 320, 320}, {2, 16, 64, 64}} {
		x := tensorOf(randn(1, 1, c.batch*c.hw*c.hw*c.cin), c.batch, c.hw, c.hw, c.cin)
		k := tensorOf(randn(2, 0.05, c.cout*c.cin*9), c.cout, c.cin, 3, 3)
		flops := 2.0 * float64(c.batch*c.hw*c.hw*c.cout*c.cin*9)
		variants := map[string]func(x, k *Node) *Node{
			"columns": func(x, k *Node) *Node { return Conv2D(x, k, nil, ConvSpec{Pad: [4]int{1, 1, 1, 1}}) },
			"columns-ktransposed": func(x, k *Node) *Node {
				// Kernel reordered to the columns' [out, kh, kw, in] order before the product.
				kt := TransposeAllAxes(k, 0, 2, 3, 1)
				geo := newConvGeometry(c.batch, c.hw, c.hw, 3, 3, ConvSpec{Pad: [4]int{1, 1, 1, 1}})
				rows := Concatenate([]*Node{Reshape(x, -1, c.cin), Zeros(x.Graph(), shapesOf(x.DType(), 1, c.cin))}, 0)
				cols := Reshape(Gather(rows, ConstTensor(x.Graph(), geo.indices())), -1, 9*c.cin)
				return DotGeneral(cols, []int{1}, nil, Reshape(kt, c.cout, 9*c.cin), []int{1}, nil)
			},
			"convgeneral": func(x, k *Node) *Node {
				return Convolve(x, TransposeAllAxes(k, 2, 3, 1, 0)).Strides(1).PadSame().Done()
			},
		}
		for _, name := range []string{"columns", "columns-ktransposed", "convgeneral"} {
			fn := variants[name]
			b.Run(fmt.Sprintf("%s/b=%d,hw=%d,cin=%d,cout=%d", name, c.batch, c.hw, c.cin, c.cout), func(b *testing.B) {
				exec := MustNewExec(backend(b), fn)
				defer exec.Finalize()
				exec.MustExec(x, k)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					exec.MustExec(x, k)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
