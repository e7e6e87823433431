package cpukernels

import (
	"errors"
	"reflect"
	"runtime"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// gatherMirror is simplego's gatherNode of GoMLX v0.26.0 (ops.go).
type gatherMirror struct {
	indexVectorAxis                                                  int
	offsetOutputAxes, collapsedSlicesAxes, startIndexMap, sliceSizes []int
	indicesAreSorted                                                 bool
}

// execGather is simplego's Gather for the form GoMLX's graph.Gather emits, which is how
// nn.Conv2D gathers its columns: indices [..., n] pick whole sub-tensors operand[i0, ..., in-1]
// and the output stacks them, [..., operand.dims[n:]...]. Each pick is one copy of a contiguous
// run (simplego copies element by element through an iterator). Indices are clamped into range
// as simplego and XLA do. Other forms and dtypes go to simplego's executor.
func (k *kernels) execGather(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	fallback := k.fallback[backends.OpTypeGather]
	n := nodeOf(node)
	if len(inputs) != 2 || reflect.TypeOf(n.data) != k.gatherData || n.shape.DType != dtypes.Float32 {
		return fallback(backend, node, inputs, inputsOwned)
	}
	operand, indices := bufferOf(inputs[0]), bufferOf(inputs[1])
	src, ok := operand.flat.([]float32)
	if !ok {
		return fallback(backend, node, inputs, inputsOwned)
	}
	p := (*gatherMirror)(reflect.ValueOf(n.data).UnsafePointer())
	dims := operand.shape.Dimensions
	iRank := indices.shape.Rank()
	if iRank == 0 || p.indexVectorAxis != iRank-1 {
		return fallback(backend, node, inputs, inputsOwned)
	}
	depth := indices.shape.Dimensions[iRank-1]
	if depth > len(dims) || len(p.startIndexMap) != depth || len(p.collapsedSlicesAxes) != depth || len(p.sliceSizes) != len(dims) || len(p.offsetOutputAxes) != len(dims)-depth {
		return fallback(backend, node, inputs, inputsOwned)
	}
	for i := range depth {
		if p.startIndexMap[i] != i || p.collapsedSlicesAxes[i] != i || p.sliceSizes[i] != 1 {
			return fallback(backend, node, inputs, inputsOwned)
		}
	}
	row := 1
	for axis := depth; axis < len(dims); axis++ {
		if p.sliceSizes[axis] != dims[axis] || p.offsetOutputAxes[axis-depth] != iRank-1+axis-depth {
			return fallback(backend, node, inputs, inputsOwned)
		}
		row *= dims[axis]
	}
	// Row strides of the indexed axes.
	strides := make([]int, depth)
	stride := row
	for axis := depth - 1; axis >= 0; axis-- {
		strides[axis] = stride
		stride *= dims[axis]
	}
	idx, ok := indexReader(indices.flat)
	if !ok {
		return fallback(backend, node, inputs, inputsOwned)
	}
	picks := idx.len / max(depth, 1)
	if picks*row != n.shape.Size() {
		return fallback(backend, node, inputs, inputsOwned)
	}
	out := getBufferForShape(backend, n.shape)
	if out == nil {
		return nil, errors.New("cpukernels: Gather on a finalized backend")
	}
	dst := bufferOf(out).flat.([]float32)
	perItem := max(1, elementwiseChunk/max(row, 1))
	items := (picks + perItem - 1) / perItem
	parallelFor(items, runtime.GOMAXPROCS(0), func(item int) {
		for pick := item * perItem; pick < min((item+1)*perItem, picks); pick++ {
			off := 0
			for axis := range depth {
				off += min(max(idx.at(pick*depth+axis), 0), dims[axis]-1) * strides[axis]
			}
			copy(dst[pick*row:(pick+1)*row], src[off:off+row])
		}
	})
	return out, nil
}

// probeNodeData builds (without running) a graph on a throwaway simplego backend with one op
// of the given type, made by build from a [2, 3] float32 parameter, and verifies the dynamic
// type simplego stores in that node's data against mirror (a struct the data points to).
func probeNodeData(op backends.OpType, mirror reflect.Type, build func(b backends.Builder, x backends.Op) (backends.Op, error)) (reflect.Type, error) {
	backend, err := simplego.New("")
	if err != nil {
		return nil, errors.Join(errors.New("creating a probe backend"), err)
	}
	defer backend.Finalize()
	b := backend.Builder("cpukernels_probe")
	x, err := b.Parameter("x", shapesMake(2, 3), nil)
	if err != nil {
		return nil, errors.Join(errors.New("probe graph"), err)
	}
	y, err := build(b, x)
	if err != nil {
		return nil, errors.Join(errors.New("probe graph"), err)
	}
	node, ok := y.(*simplego.Node)
	if !ok {
		return nil, errors.New("probe graph: the op did not return a *simplego.Node")
	}
	// Walk down single-input wrappers (simplego reshapes DotGeneral's normalised output).
	for nodeOf(node).opType != op {
		in := nodeOf(node).inputs
		if len(in) == 0 {
			return nil, errors.New("probe graph: no " + op.String() + " node")
		}
		node = in[0]
	}
	data := nodeOf(node).data
	t := reflect.TypeOf(data)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil, errors.New(op.String() + " node data is not a pointer to a struct")
	}
	if err := verifyLayout(mirror, t.Elem()); err != nil {
		return nil, err
	}
	return t, nil
}

func probeGatherData() (reflect.Type, error) {
	return probeNodeData(backends.OpTypeGather, reflect.TypeFor[gatherMirror](), func(b backends.Builder, x backends.Op) (backends.Op, error) {
		idx, err := b.Parameter("i", shapesMakeInt32(4, 1), nil)
		if err != nil {
			return nil, err
		}
		return b.Gather(x, idx, 1, []int{1}, []int{0}, []int{0}, []int{1, 3}, false)
	})
}

func probeDotGeneralData() (reflect.Type, error) {
	return probeNodeData(backends.OpTypeDotGeneral, reflect.TypeFor[dotGeneralMirror](), func(b backends.Builder, x backends.Op) (backends.Op, error) {
		return b.DotGeneral(x, []int{1}, nil, x, []int{1}, nil)
	})
}

// indices reads a Gather's or Scatter's int32 or int64 index buffer in place (converting a
// convolution's columns, a hundred thousand indices a step, would churn the garbage collector).
type indices struct {
	i32 []int32
	i64 []int64
	len int
}

func indexReader(flat any) (indices, bool) {
	switch f := flat.(type) {
	case []int32:
		return indices{i32: f, len: len(f)}, true
	case []int64:
		return indices{i64: f, len: len(f)}, true
	}
	return indices{}, false
}

func (x indices) at(i int) int {
	if x.i32 != nil {
		return int(x.i32[i])
	}
	return int(x.i64[i])
}
