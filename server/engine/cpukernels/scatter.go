package cpukernels

import (
	"errors"
	"reflect"
	"runtime"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// scatterMirror is simplego's scatterNode of GoMLX v0.26.0 (ops.go).
type scatterMirror struct {
	indexVectorAxis                                                int
	updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes []int
	indicesAreSorted, uniqueIndices                                bool
}

func probeScatterData() (reflect.Type, error) {
	return probeNodeData(backends.OpTypeScatterSum, reflect.TypeFor[scatterMirror](), func(b backends.Builder, x backends.Op) (backends.Op, error) {
		idx, err := b.Parameter("i", shapesMakeInt32(4, 1), nil)
		if err != nil {
			return nil, err
		}
		u, err := b.Parameter("u", shapesMake(4, 3), nil)
		if err != nil {
			return nil, err
		}
		return b.ScatterSum(x, idx, u, 1, []int{1}, []int{0}, []int{0}, false, false)
	})
}

// execScatterSum is simplego's ScatterSum for the form GoMLX's graph.ScatterSum emits, which is
// the gradient of nn.Conv2D's column gather: updates [..., rest...] are added to operand
// sub-tensors operand[i0, ..., in-1] picked by indices [..., n]. Picks are applied in order, as
// simplego does, so sums have simplego's bits; the sub-tensors' elements are split over the
// cores, each element taking all its updates on one goroutine. Updates whose index is out of
// range are dropped (XLA's rule; simplego does not check). Other forms go to simplego.
func (k *kernels) execScatterSum(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	fallback := k.fallback[backends.OpTypeScatterSum]
	n := nodeOf(node)
	if len(inputs) != 3 || reflect.TypeOf(n.data) != k.scatterData || n.shape.DType != dtypes.Float32 {
		return fallback(backend, node, inputs, inputsOwned)
	}
	operand, indices, updates := bufferOf(inputs[0]), bufferOf(inputs[1]), bufferOf(inputs[2])
	src, ok1 := operand.flat.([]float32)
	upd, ok2 := updates.flat.([]float32)
	if !ok1 || !ok2 || !operand.shape.Equal(n.shape) {
		return fallback(backend, node, inputs, inputsOwned)
	}
	p := (*scatterMirror)(reflect.ValueOf(n.data).UnsafePointer())
	dims := operand.shape.Dimensions
	iRank := indices.shape.Rank()
	if iRank == 0 || p.indexVectorAxis != iRank-1 {
		return fallback(backend, node, inputs, inputsOwned)
	}
	depth := indices.shape.Dimensions[iRank-1]
	windowRank := len(dims) - depth
	if windowRank < 0 || len(p.insertedWindowAxes) != depth || len(p.scatterAxesToOperandAxes) != depth || len(p.updateWindowAxes) != windowRank || updates.shape.Rank() != iRank-1+windowRank {
		return fallback(backend, node, inputs, inputsOwned)
	}
	for i := range depth {
		if p.insertedWindowAxes[i] != i || p.scatterAxesToOperandAxes[i] != i {
			return fallback(backend, node, inputs, inputsOwned)
		}
	}
	row := 1
	for w := range windowRank {
		if p.updateWindowAxes[w] != iRank-1+w || updates.shape.Dimensions[iRank-1+w] != dims[depth+w] {
			return fallback(backend, node, inputs, inputsOwned)
		}
		row *= dims[depth+w]
	}
	idx, ok := indexReader(indices.flat)
	if !ok {
		return fallback(backend, node, inputs, inputsOwned)
	}
	picks := idx.len / max(depth, 1)
	if picks*row != len(upd) {
		return fallback(backend, node, inputs, inputsOwned)
	}
	strides := rowMajorStrides(dims[:depth])
	// rowOffset is the flat offset of a pick's sub-tensor, -1 when out of range.
	rowOffset := func(pick int) int {
		off := 0
		for axis := range depth {
			i := idx.at(pick*depth + axis)
			if i < 0 || i >= dims[axis] {
				return -1
			}
			off += i * strides[axis] * row
		}
		return off
	}
	out := inputs[0]
	if inputsOwned[0] {
		inputs[0] = nil // simplego's convention: the executor took the buffer over
	} else {
		if out = getBufferForShape(backend, n.shape); out == nil {
			return nil, errors.New("cpukernels: ScatterSum on a finalized backend")
		}
		copy(bufferOf(out).flat.([]float32), src)
	}
	dst := bufferOf(out).flat.([]float32)
	const minCols = 64 // below this a column slice is not worth a goroutine
	parts := max(1, min(runtime.GOMAXPROCS(0), row/minCols))
	if len(upd) < elementwiseChunk {
		parts = 1
	}
	parallelFor(parts, parts, func(part int) {
		c0, c1 := part*row/parts, (part+1)*row/parts
		for pick := range picks {
			off := rowOffset(pick)
			if off < 0 {
				continue
			}
			d, u := dst[off+c0:off+c1], upd[pick*row+c0:pick*row+c1]
			for i, v := range u {
				d[i] += v
			}
		}
	})
	return out, nil
}
