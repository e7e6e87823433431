package pretrain

import (
	"fmt"

	"github.com/cones2web/cones2/server/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// images renders scenes first..first+n-1 of set at size×size as one NCHW batch in [-1, 1], the
// VAE's input range.
func images(set shapes.Set, first uint64, n, size int) []float32 {
	out := make([]float32, n*3*size*size)
	plane := size * size
	for b := range n {
		rgb := set.Scene(first + uint64(b)).Render(size)
		img := out[b*3*plane : (b+1)*3*plane]
		for p := range plane {
			for c := range 3 {
				img[c*plane+p] = float32(rgb[3*p+c])/127.5 - 1
			}
		}
	}
	return out
}

// shapeWeights returns, for scenes first..first+n-1 rendered at size, a [n, 1, size, size]
// map of weight for the pixels a shape touches (any pixel that is not exactly the background,
// anti-aliased edges included) and 1 elsewhere.
func shapeWeights(set shapes.Set, first uint64, n, size int, weight float64) []float32 {
	out := make([]float32, n*size*size)
	for b := range n {
		sc := set.Scene(first + uint64(b))
		bg := shapes.Backgrounds()[sc.Background]
		rgb := sc.Render(size)
		for p := range size * size {
			w := float32(1)
			if [3]uint8(rgb[3*p:3*p+3]) != bg {
				w = float32(weight)
			}
			out[b*size*size+p] = w
		}
	}
	return out
}

// captions returns the captions of scenes first..first+n-1.
func captions(set shapes.Set, first uint64, n int) []string {
	out := make([]string, n)
	for b := range n {
		out[b] = set.Scene(first + uint64(b)).Caption()
	}
	return out
}

// batchTensor is one input of a step for the whole batch: flat data with the batch leading.
type batchTensor struct {
	data  any // []float32 or []int32
	shape []int
}

// shares splits the inputs of a step into n equal shares of the batch, one per worker.
func shares(n int, inputs ...batchTensor) ([][]*tensors.Tensor, error) {
	out := make([][]*tensors.Tensor, n)
	for _, in := range inputs {
		b := in.shape[0]
		if b%n != 0 {
			return nil, fmt.Errorf("batch of %d does not split into %d workers", b, n)
		}
		shape := append([]int{b / n}, in.shape[1:]...)
		for w := range n {
			switch d := in.data.(type) {
			case []float32:
				per := len(d) / n
				out[w] = append(out[w], tensors.FromFlatDataAndDimensions(d[w*per:(w+1)*per], shape...))
			case []int32:
				per := len(d) / n
				out[w] = append(out[w], tensors.FromFlatDataAndDimensions(d[w*per:(w+1)*per], shape...))
			default:
				return nil, fmt.Errorf("input of type %T", in.data)
			}
		}
	}
	return out, nil
}
