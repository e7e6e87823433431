package cpukernels

import (
	"errors"

	"fmt"
	"github.com/gomlx/gomlx/backends"
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// execDotGeneral is simplego's DotGeneral executor for float32 operands: the node's output is
// simplego's normalised [batch, lhsCross, rhsCross]; other dtypes, and a node whose parameters
// are not the verified type, go to simplego's own executor.
func (k *kernels) execDotGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	n := nodeOf(node)
	if len(inputs) != 2 || reflect.TypeOf(n.data) != k.dotGeneralData || n.shape.DType != dtypes.Float32 {
		return k.fallback[backends.OpTypeDotGeneral](backend, node, inputs, inputsOwned)
	}
	lhs, rhs := bufferOf(inputs[0]), bufferOf(inputs[1])
	lhsFlat, ok1 := lhs.flat.([]float32)
	rhsFlat, ok2 := rhs.flat.([]float32)
	if !ok1 || !ok2 {
		return k.fallback[backends.OpTypeDotGeneral](backend, node, inputs, inputsOwned)
	}
	p := (*dotGeneralMirror)(reflect.ValueOf(n.data).UnsafePointer())
	a, err := newOperand(lhsFlat, lhs.shape, p.lhsBatchAxes, p.lhsContractingAxes)
	if err != nil {
		return nil, fmt.Errorf("cpukernels: DotGeneral lhs: %w", err)
	}
	b, err := newOperand(rhsFlat, rhs.shape, p.rhsBatchAxes, p.rhsContractingAxes)
	if err != nil {
		return nil, fmt.Errorf("cpukernels: DotGeneral rhs: %w", err)
	}
	batch, m, nn, kk := len(a.batch), len(a.rows), len(b.rows), len(a.depth)
	if len(b.batch) != batch || len(b.depth) != kk || batch != p.batchSize || m != p.lhsCrossSize || nn != p.rhsCrossSize || kk != p.contractingSize {
		return nil, fmt.Errorf("cpukernels: DotGeneral %s x %s: sizes (batch %d/%d, rows %d, cols %d, depth %d/%d) do not match the node's %d, %d, %d, %d",
			lhs.shape, rhs.shape, batch, len(b.batch), m, nn, kk, len(b.depth), p.batchSize, p.lhsCrossSize, p.rhsCrossSize, p.contractingSize)
	}
	out := getBufferForShape(backend, n.shape)
	if out == nil {
		return nil, errors.New("cpukernels: DotGeneral on a finalized backend")
	}
	c := bufferOf(out).flat.([]float32)
	gemm(c, a, b, batch, m, nn, kk, 0, k.scratch(backend), k.micro)
	return out, nil
}

// scratch lends packing space from the backend's buffer pool, which keeps buffers by length:
// the same products recur every step, so after the first step packing allocates nothing.
func (k *kernels) scratch(backend *simplego.Backend) func(int) ([]float32, func()) {
	return func(size int) ([]float32, func()) {
		buf := getBufferForShape(backend, shapes.Make(dtypes.Float32, size))
		if buf == nil { // finalized backend: plain memory
			return make([]float32, size), func() {}
		}
		return bufferOf(buf).flat.([]float32), func() { putBuffer(backend, buf) }
	}
}

// newOperand views a row-major tensor of shape as [batch, rows, depth]: batch and depth walk
// batchAxes and contractingAxes in the order given (which pairs them with the other operand's),
// rows walks the remaining axes in increasing order (simplego's order of the output's cross axes).
func newOperand(data []float32, shape shapes.Shape, batchAxes, contractingAxes []int) (operand, error) {
	dims := shape.Dimensions
	if len(data) != shape.Size() {
		return operand{}, fmt.Errorf("buffer of %d values for shape %s", len(data), shape)
	}
	strides := make([]int, len(dims))
	stride := 1
	for axis := len(dims) - 1; axis >= 0; axis-- {
		strides[axis] = stride
		stride *= dims[axis]
	}
	var crossAxes []int
	for axis := range dims {
		if !slices.Contains(batchAxes, axis) && !slices.Contains(contractingAxes, axis) {
			crossAxes = append(crossAxes, axis)
		}
	}
	for _, axis := range slices.Concat(batchAxes, contractingAxes) {
		if axis < 0 || axis >= len(dims) {
			return operand{}, fmt.Errorf("axis %d out of range for shape %s", axis, shape)
		}
	}
	if len(batchAxes)+len(contractingAxes)+len(crossAxes) != len(dims) {
		return operand{}, fmt.Errorf("batch axes %v and contracting axes %v overlap or repeat for shape %s", batchAxes, contractingAxes, shape)
	}
	x := operand{
		data:  data,
		batch: axisOffsets(dims, strides, batchAxes),
		rows:  axisOffsets(dims, strides, crossAxes),
		depth: axisOffsets(dims, strides, contractingAxes),
	}
	x.classify()
	return x, nil
}

// axisOffsets lists the flat offsets of every index of the given axes, the first axis slowest.
func axisOffsets(dims, strides, axes []int) []int {
	offsets := []int{0}
	for _, axis := range axes {
		next := make([]int, 0, len(offsets)*dims[axis])
		for _, off := range offsets {
			for i := range dims[axis] {
				next = append(next, off+i*strides[axis])
			}
		}
		offsets = next
	}
	return offsets
}
