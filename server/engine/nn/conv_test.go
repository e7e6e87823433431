package nn

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/server/engine/internal/gradcheck"
	"github.com/cones2web/cones2/server/engine/internal/reference"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// convReference runs the plain-Go reference convolution on float32 data.
func convReference(x []float32, b, h, w, cin int, k []float32, bias []float32, cout, kh, kw int, spec ConvSpec) ([]float32, int, int) {
	out, oh, ow := reference.Conv2D(reference.F64(x), b, h, w, cin, reference.F64(k), reference.F64(bias), cout, kh,
		reference.ConvSpec{Stride: spec.Stride, Up: spec.Upsample, Pad: spec.Pad})
	return reference.F32(out), oh, ow
}

var convCases = []struct {
	b, h, w, cin, cout, k int
	spec                  ConvSpec
}{
	{1, 5, 7, 3, 4, 3, ConvSpec{Pad: [4]int{1, 1, 1, 1}}},
	{2, 8, 8, 5, 6, 3, ConvSpec{Stride: 2, Pad: [4]int{1, 1, 1, 1}}},
	{1, 8, 6, 4, 3, 3, ConvSpec{Stride: 2, Pad: [4]int{0, 1, 0, 1}}},
	{2, 3, 5, 4, 3, 3, ConvSpec{Upsample: 2, Pad: [4]int{1, 1, 1, 1}}},
	{2, 4, 4, 7, 5, 1, ConvSpec{}},
	{1, 1, 1, 3, 2, 3, ConvSpec{Pad: [4]int{1, 1, 1, 1}}},
}

func caseName(b, h, w, cin, cout, k int, s ConvSpec) string {
	return fmt.Sprintf("b=%d,h=%d,w=%d,cin=%d,cout=%d,k=%d,stride=%d,pad=%v,up=%d", b, h, w, cin, cout, k, s.Stride, s.Pad, s.Upsample)
}

func TestConv2D(t *testing.T) {
	for i, c := range convCases {
		t.Run(caseName(c.b, c.h, c.w, c.cin, c.cout, c.k, c.spec), func(t *testing.T) {
			x := randn(uint64(i), 1, c.b*c.h*c.w*c.cin)
			k := randn(uint64(100+i), 0.3, c.cout*c.cin*c.k*c.k)
			bias := randn(uint64(200+i), 1, c.cout)
			want, oh, ow := convReference(x, c.b, c.h, c.w, c.cin, k, bias, c.cout, c.k, c.k, c.spec)
			got := MustExecOnce(backend(t), func(x, k, bias *Node) *Node { return Conv2D(x, k, bias, c.spec) },
				tensorOf(x, c.b, c.h, c.w, c.cin), tensorOf(k, c.cout, c.cin, c.k, c.k), tensorOf(bias, c.cout))
			if dims := got.Shape().Dimensions; dims[1] != oh || dims[2] != ow {
				t.Fatalf("output %v, want %dx%d", dims, oh, ow)
			}
			assertClose(t, "conv", tensors.MustCopyFlatData[float32](got), want, 1e-5)
		})
	}
}

func TestConv2DGradient(t *testing.T) {
	for i, c := range convCases {
		t.Run(caseName(c.b, c.h, c.w, c.cin, c.cout, c.k, c.spec), func(t *testing.T) {
			err := gradcheck.Check(backend(t), func(in []*Node) *Node { return Conv2D(in[0], in[1], in[2], c.spec) },
				[]gradcheck.Input{
					gradcheck.Random(uint64(i), c.b, c.h, c.w, c.cin),
					gradcheck.Random(uint64(50+i), c.cout, c.cin, c.k, c.k),
					gradcheck.Random(uint64(90+i), c.cout),
				}, 12, 1e-6)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
