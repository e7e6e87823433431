package nn

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// convGeometry maps every output tap of a convolution to the input row it reads.
type convGeometry struct {
	b, h, w, kh, kw int
	stride, up      int
	pad             [4]int
	inH, inW        int // input size after upsampling
	outH, outW      int
}

func newConvGeometry(b, h, w, kh, kw int, spec ConvSpec) convGeometry {
	g := convGeometry{b: b, h: h, w: w, kh: kh, kw: kw, stride: max(spec.Stride, 1), up: max(spec.Upsample, 1), pad: spec.Pad}
	g.inH, g.inW = h*g.up, w*g.up
	g.outH = (g.inH+g.pad[0]+g.pad[1]-kh)/g.stride + 1
	g.outW = (g.inW+g.pad[2]+g.pad[3]-kw)/g.stride + 1
	return g
}

func (g convGeometry) isPointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.up == 1 && g.pad == [4]int{}
}

// indices returns, for each output position and kernel tap, the row of the flattened input to
// read: [b*outH*outW, kh*kw, 1] with rows in [0, b*h*w], row b*h*w being the zero row for taps
// that fall in the padding.
func (g convGeometry) indices() *tensors.Tensor {
	zero := int32(g.b * g.h * g.w)
	flat := make([]int32, 0, g.b*g.outH*g.outW*g.kh*g.kw)
	for n := 0; n < g.b; n++ {
		for oy := 0; oy < g.outH; oy++ {
			for ox := 0; ox < g.outW; ox++ {
				for ky := 0; ky < g.kh; ky++ {
					for kx := 0; kx < g.kw; kx++ {
						y := oy*g.stride + ky - g.pad[0]
						x := ox*g.stride + kx - g.pad[2]
						if y < 0 || y >= g.inH || x < 0 || x >= g.inW {
							flat = append(flat, zero)
							continue
						}
						flat = append(flat, int32((n*g.h+y/g.up)*g.w+x/g.up))
					}
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, g.b*g.outH*g.outW, g.kh*g.kw, 1)
}

const int32DType = dtypes.Int32

func shapesOf(dt dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dt, dims...) }
