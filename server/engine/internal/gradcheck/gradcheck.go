package gradcheck

import (
	"fmt"
	"math"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Fn is the function under test: float64 inputs to one output.
type Fn func(inputs []*Node) *Node

// Input is one float64 input of the function, flat with its dimensions.
type Input struct {
	Data []float64
	Dims []int
}

// Random returns an input of the given dimensions with seeded values in roughly [-1, 1].
func Random(seed uint64, dims ...int) Input {
	n := 1
	for _, d := range dims {
		n *= d
	}
	f32 := make([]float32, n)
	_ = noise.New(seed).Normal(f32)
	data := make([]float64, n)
	for i, v := range f32 {
		data[i] = float64(v) * 0.5
	}
	return Input{Data: data, Dims: dims}
}

// Check computes the gradient of L = sum(fn(inputs) ⊙ R), R a fixed pseudo-random tensor, with
// respect to every input, and compares `probes` coordinates of each (spread over the tensor)
// with central differences of step 1e-5. It returns an error naming the first coordinate whose
// relative error exceeds tol.
func Check(backend backends.Backend, fn Fn, inputs []Input, probes int, tol float64) error {
	loss := func(xs []*Node) *Node {
		out := fn(xs)
		weights := Random(12345, out.Shape().Dimensions...)
		r := ConstTensor(out.Graph(), tensors.FromFlatDataAndDimensions(weights.Data, weights.Dims...))
		return ReduceAllSum(Mul(out, r))
	}
	gradExec, err := NewExecAny(backend, func(xs []*Node) []*Node {
		l := loss(xs)
		return append([]*Node{l}, Gradient(l, xs...)...)
	})
	if err != nil {
		return err
	}
	defer gradExec.Finalize()
	lossExec, err := NewExecAny(backend, func(xs []*Node) *Node { return loss(xs) })
	if err != nil {
		return err
	}
	defer lossExec.Finalize()

	args := func(ins []Input) []any {
		out := make([]any, len(ins))
		for i, in := range ins {
			out[i] = tensors.FromFlatDataAndDimensions(in.Data, in.Dims...)
		}
		return out
	}
	results, err := gradExec.Exec(args(inputs)...)
	if err != nil {
		return fmt.Errorf("gradient graph: %w", err)
	}
	evalLoss := func(ins []Input) (float64, error) {
		out, err := lossExec.Exec(args(ins)...)
		if err != nil {
			return 0, err
		}
		return tensors.ToScalar[float64](out[0]), nil
	}
	const eps = 1e-5
	for i, in := range inputs {
		grad := tensors.MustCopyFlatData[float64](results[1+i])
		scale := 0.0
		for _, g := range grad {
			scale = math.Max(scale, math.Abs(g))
		}
		for p := 0; p < probes; p++ {
			j := (p*7919 + 13) % len(in.Data)
			saved := in.Data[j]
			in.Data[j] = saved + eps
			up, err := evalLoss(inputs)
			if err != nil {
				return err
			}
			in.Data[j] = saved - eps
			down, err := evalLoss(inputs)
			in.Data[j] = saved
			if err != nil {
				return err
			}
			fd := (up - down) / (2 * eps)
			if d := math.Abs(fd - grad[j]); d > tol*math.Max(scale, 1e-3) {
				return fmt.Errorf("input %d coordinate %d: gradient %.8g, finite difference %.8g (|diff| %.3g, gradient scale %.3g)",
					i, j, grad[j], fd, d, scale)
			}
		}
	}
	return nil
}
