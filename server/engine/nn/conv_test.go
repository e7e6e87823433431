package nn

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/server/engine/internal/gradcheck"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// convReference is a direct NHWC convolution in float64 loops: the ground truth for Conv2DWith.
func convReference(x []float32, b, h, w, cin int, k []float32, bias []float32, cout, kh, kw int, spec ConvSpec) ([]float32, int, int) {
	geo := newConvGeometry(b, h, w, kh, kw, spec)
	out := make([]float32, b*geo.outH*geo.outW*cout)
	for n := 0; n < b; n++ {
		for oy := 0; oy < geo.outH; oy++ {
			for ox := 0; ox < geo.outW; ox++ {
				for co := 0; co < cout; co++ {
					sum := 0.0
					if bias != nil {
						sum = float64(bias[co])
					}
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							y, xx := oy*geo.stride+ky-geo.pad[0], ox*geo.stride+kx-geo.pad[2]
							if y < 0 || y >= geo.inH || xx < 0 || xx >= geo.inW {
								continue
							}
							y, xx = y/geo.up, xx/geo.up
							for ci := 0; ci < cin; ci++ {
								sum += float64(x[((n*h+y)*w+xx)*cin+ci]) * float64(k[((co*cin+ci)*kh+ky)*kw+kx])
							}
						}
					}
					out[((n*geo.outH+oy)*geo.outW+ox)*cout+co] = float32(sum)
				}
			}
		}
	}
	return out, geo.outH, geo.outW
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
