package cpukernels

import (
	"errors"
	"runtime"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// stridedView is a tensor read as the output's shape through strides (0 where broadcast),
// with axes that step alike merged so that the innermost run is as long as possible.
type stridedView struct {
	dims, strides []int
}

func mergeAxes(dims, strides []int) stridedView {
	var v stridedView
	for axis, d := range dims {
		if d == 1 {
			continue
		}
		last := len(v.dims) - 1
		if last >= 0 && v.strides[last] == strides[axis]*d {
			v.dims[last] *= d
			v.strides[last] = strides[axis]
			continue
		}
		v.dims = append(v.dims, d)
		v.strides = append(v.strides, strides[axis])
	}
	if len(v.dims) == 0 {
		v.dims, v.strides = []int{1}, []int{0}
	}
	return v
}

// stridedCopy writes dst (row-major in v.dims) from src read through v's strides, in runs of
// the inner axis spread over the cores.
func stridedCopy(dst, src []float32, v stridedView) {
	rank := len(v.dims)
	inner, s := v.dims[rank-1], v.strides[rank-1]
	runs := len(dst) / inner
	runsPerItem := max(1, elementwiseChunk/inner)
	items := (runs + runsPerItem - 1) / runsPerItem
	parallelFor(items, runtime.GOMAXPROCS(0), func(item int) {
		r0, r1 := item*runsPerItem, min((item+1)*runsPerItem, runs)
		idx := make([]int, rank-1)
		off, rem := 0, r0
		for axis := rank - 2; axis >= 0; axis-- {
			idx[axis] = rem % v.dims[axis]
			rem /= v.dims[axis]
			off += idx[axis] * v.strides[axis]
		}
		for r := r0; r < r1; r++ {
			out := dst[r*inner : (r+1)*inner]
			switch s {
			case 1:
				copy(out, src[off:off+inner])
			case 0:
				fill(out, src[off])
			default:
				for i := range out {
					out[i] = src[off+i*s]
				}
			}
			for axis := rank - 2; axis >= 0; axis-- {
				idx[axis]++
				off += v.strides[axis]
				if idx[axis] < v.dims[axis] {
					break
				}
				off -= v.strides[axis] * v.dims[axis]
				idx[axis] = 0
			}
		}
	})
}

// rowMajorStrides of a shape's dimensions.
func rowMajorStrides(dims []int) []int {
	strides := make([]int, len(dims))
	stride := 1
	for axis := len(dims) - 1; axis >= 0; axis-- {
		strides[axis] = stride
		stride *= dims[axis]
	}
	return strides
}

// movementExecutor is a float32 executor of Transpose (data: the permutation) or
// BroadcastInDim (data: the output axis of each operand axis) as one strided copy. Other
// dtypes and unexpected data go to simplego's executor.
func (k *kernels) movementExecutor(op backends.OpType) executor {
	fallback := k.fallback[op]
	return func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
		n := nodeOf(node)
		axes, ok := n.data.([]int)
		if len(inputs) != 1 || !ok || n.shape.DType != dtypes.Float32 {
			return fallback(backend, node, inputs, inputsOwned)
		}
		in := bufferOf(inputs[0])
		src, ok := in.flat.([]float32)
		if !ok {
			return fallback(backend, node, inputs, inputsOwned)
		}
		inStrides := rowMajorStrides(in.shape.Dimensions)
		strides := make([]int, n.shape.Rank())
		switch op {
		case backends.OpTypeTranspose:
			if len(axes) != n.shape.Rank() || in.shape.Rank() != len(axes) {
				return fallback(backend, node, inputs, inputsOwned)
			}
			for outAxis, inAxis := range axes {
				if inAxis < 0 || inAxis >= len(axes) || in.shape.Dimensions[inAxis] != n.shape.Dimensions[outAxis] {
					return fallback(backend, node, inputs, inputsOwned)
				}
				strides[outAxis] = inStrides[inAxis]
			}
		case backends.OpTypeBroadcastInDim:
			if in.shape.Size() != 1 {
				if len(axes) != in.shape.Rank() {
					return fallback(backend, node, inputs, inputsOwned)
				}
				for inAxis, outAxis := range axes {
					d := in.shape.Dimensions[inAxis]
					if outAxis < 0 || outAxis >= len(strides) || (d != 1 && d != n.shape.Dimensions[outAxis]) {
						return fallback(backend, node, inputs, inputsOwned)
					}
					if d != 1 {
						strides[outAxis] = inStrides[inAxis]
					}
				}
			}
		}
		out := getBufferForShape(backend, n.shape)
		if out == nil {
			return nil, errors.New("cpukernels: " + op.String() + " on a finalized backend")
		}
		stridedCopy(bufferOf(out).flat.([]float32), src, mergeAxes(n.shape.Dimensions, strides))
		return out, nil
	}
}

// reduceExecutor is a float32 executor of ReduceSum and ReduceMax (data: the reduced axes). The
// operand is read in row-major order and each output accumulates its inputs in that order, as
// simplego does, so sums have simplego's bits; work is split over the outermost kept axis.
func (k *kernels) reduceExecutor(op backends.OpType) executor {
	fallback := k.fallback[op]
	lowest := dtypes.Float32.LowestValue().(float32)
	return func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
		n := nodeOf(node)
		axes, ok := n.data.([]int)
		if len(inputs) != 1 || !ok || len(axes) == 0 || n.shape.DType != dtypes.Float32 {
			return fallback(backend, node, inputs, inputsOwned)
		}
		in := bufferOf(inputs[0])
		src, ok := in.flat.([]float32)
		if !ok {
			return fallback(backend, node, inputs, inputsOwned)
		}
		g, ok := reduceGroups(in.shape, axes)
		if !ok {
			return fallback(backend, node, inputs, inputsOwned)
		}
		out := getBufferForShape(backend, n.shape)
		if out == nil {
			return nil, errors.New("cpukernels: reduce on a finalized backend")
		}
		dst := bufferOf(out).flat.([]float32)
		init := float32(0)
		if op == backends.OpTypeReduceMax {
			init = lowest
		}
		for i := range dst {
			dst[i] = init
		}
		isMax := op == backends.OpTypeReduceMax
		if !g.reduced[0] && g.dims[0] > 1 && len(src) >= 2*elementwiseChunk {
			// Independent outputs per index of the outermost (kept) group.
			parallelFor(g.dims[0], runtime.GOMAXPROCS(0), func(i int) {
				reduceWalk(g, 1, src, i*g.inStrides[0], dst, i*g.outStrides[0], isMax)
			})
		} else {
			reduceWalk(g, 0, src, 0, dst, 0, isMax)
		}
		return out, nil
	}
}

// reduceGroupsT is an operand's axes merged into alternating runs of kept and reduced axes.
type reduceGroupsT struct {
	dims                  []int
	reduced               []bool
	inStrides, outStrides []int
}

func reduceGroups(shape shapes.Shape, axes []int) (reduceGroupsT, bool) {
	isReduced := make([]bool, shape.Rank())
	for _, a := range axes {
		if a < 0 || a >= shape.Rank() {
			return reduceGroupsT{}, false
		}
		isReduced[a] = true
	}
	var g reduceGroupsT
	for axis, d := range shape.Dimensions {
		if d == 1 {
			continue
		}
		if last := len(g.dims) - 1; last >= 0 && g.reduced[last] == isReduced[axis] {
			g.dims[last] *= d
			continue
		}
		g.dims = append(g.dims, d)
		g.reduced = append(g.reduced, isReduced[axis])
	}
	if len(g.dims) == 0 {
		g.dims, g.reduced = []int{1}, []bool{true}
	}
	g.inStrides = rowMajorStrides(g.dims)
	g.outStrides = make([]int, len(g.dims))
	stride := 1
	for i := len(g.dims) - 1; i >= 0; i-- {
		if !g.reduced[i] {
			g.outStrides[i] = stride
			stride *= g.dims[i]
		}
	}
	return g, true
}

// reduceWalk accumulates group level and inward of the operand at inOff into dst at outOff.
func reduceWalk(g reduceGroupsT, level int, src []float32, inOff int, dst []float32, outOff int, isMax bool) {
	d, last := g.dims[level], len(g.dims)-1
	switch level {
	case last:
		reduceRun(g.reduced[level], src[inOff:inOff+d], dst, outOff, isMax)
	case last - 1:
		// The runs of the innermost group, without a call per level.
		inner, reduced := g.dims[last], g.reduced[last]
		for i := range d {
			off := inOff + i*g.inStrides[level]
			reduceRun(reduced, src[off:off+inner], dst, outOff+i*g.outStrides[level], isMax)
		}
	default:
		for i := range d {
			reduceWalk(g, level+1, src, inOff+i*g.inStrides[level], dst, outOff+i*g.outStrides[level], isMax)
		}
	}
}

// reduceRun folds one contiguous run of the operand into dst at outOff: into one output when the
// run's axis is reduced, else element by element into len(run) outputs.
func reduceRun(reduced bool, run, dst []float32, outOff int, isMax bool) {
	switch {
	case reduced && isMax:
		dst[outOff] = maxRun(dst[outOff], run)
	case reduced:
		dst[outOff] = sumRun(dst[outOff], run)
	case isMax:
		o := dst[outOff : outOff+len(run)]
		for i, v := range run {
			o[i] = max(o[i], v)
		}
	default:
		binaryRun(backends.OpTypeAdd, dst[outOff:outOff+len(run)], dst[outOff:], run, 1, 1)
	}
}
