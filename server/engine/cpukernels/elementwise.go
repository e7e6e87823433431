package cpukernels

import (
	"errors"
	"math"
	"runtime"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// elementwiseChunk is how many elements one goroutine takes at a time in elementwise ops: big
// enough that scheduling costs nothing next to the arithmetic, small enough to spread a 1 M-value
// tensor over the cores. A multiple of 8, so that SIMD loops see whole vectors except at a
// tensor's very end; chunks do not depend on the number of goroutines, so neither do results.
const elementwiseChunk = 1 << 14

// forChunks calls body on [lo, hi) chunks of [0, n), on every core when n is large.
func forChunks(n int, body func(lo, hi int)) {
	items := (n + elementwiseChunk - 1) / elementwiseChunk
	parallelFor(items, runtime.GOMAXPROCS(0), func(item int) {
		lo := item * elementwiseChunk
		body(lo, min(lo+elementwiseChunk, n))
	})
}

// unaryExecutor makes a float32 executor of an elementwise op from f, which maps in to out
// (same length; they may be the same slice). Other dtypes go to simplego's executor.
func (k *kernels) unaryExecutor(op backends.OpType, f func(in, out []float32)) executor {
	fallback := k.fallback[op]
	return func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
		n := nodeOf(node)
		if len(inputs) != 1 || n.shape.DType != dtypes.Float32 {
			return fallback(backend, node, inputs, inputsOwned)
		}
		x, ok := bufferOf(inputs[0]).flat.([]float32)
		if !ok || len(x) != n.shape.Size() {
			return fallback(backend, node, inputs, inputsOwned)
		}
		out := inputs[0]
		if inputsOwned[0] {
			inputs[0] = nil // simplego's convention: the executor took the buffer over
		} else if out = getBufferForShape(backend, n.shape); out == nil {
			return nil, errors.New("cpukernels: elementwise op on a finalized backend")
		}
		y := bufferOf(out).flat.([]float32)
		forChunks(len(x), func(lo, hi int) { f(x[lo:hi], y[lo:hi]) })
		return out, nil
	}
}

// logistic is 1/(1+exp(-x)) over a slice, with exp from expSlice.
func logistic(in, out []float32) {
	for lo := 0; lo < len(in); lo += 256 {
		hi := min(lo+256, len(in))
		var e [256]float32
		for i, v := range in[lo:hi] {
			e[i] = -v
		}
		expSlice(e[:hi-lo], e[:hi-lo])
		for i := range hi - lo {
			out[lo+i] = 1 / (1 + e[i])
		}
	}
}

// Constants of the float32 exponential (Cephes expf): exp(x) = 2^n * exp(r) with n the integer
// nearest x/ln 2 and r = x - n ln 2 in [-ln2/2, ln2/2], ln 2 split in two for an exact
// reduction; exp(r) by a degree-7 polynomial, within 2 ulp of exp over float32's range.
const (
	expHi   = 88.72283 // exp overflows float32 above this
	expLo   = -87.33654
	log2e   = 1.44269504088896341
	expC1   = 0.693359375
	expC2   = -2.12194440e-4
	expP0   = 1.9875691500e-4
	expP1   = 1.3981999507e-3
	expP2   = 8.3334519073e-3
	expP3   = 4.1665795894e-2
	expP4   = 1.6666665459e-1
	expP5   = 5.0000001201e-1
	maxExpN = 127
)

// expScalar is one exponential by the method of expSlice's vector loop, for the elements the
// vectors do not cover and for builds without SIMD. Below expLo it is 0 (float32's subnormals
// are not produced), above expHi +Inf, NaN stays NaN.
func expScalar(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	n := min(float32(math.RoundToEven(float64(x*log2e))), maxExpN)
	r := x - n*expC1 - n*expC2
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// reshapeForBroadcast describes a float32 binary op's operands as strided views of the output:
// after merging axes that step alike, element (outer, i) of the output reads lhs at
// lhsOff(outer) + i*lhsInner (inner strides are 0 or 1). ok is false for operands that are not
// the output's shape with some axes of size 1 (or a single value).
type broadcastPlan struct {
	dims                   []int // merged output dims, the last one the inner run
	lhsStrides, rhsStrides []int
}

func planBroadcast(out, lhs, rhs shapes.Shape) (broadcastPlan, bool) {
	rank := out.Rank()
	ls, ok1 := broadcastStrides(lhs, out)
	rs, ok2 := broadcastStrides(rhs, out)
	if !ok1 || !ok2 {
		return broadcastPlan{}, false
	}
	p := broadcastPlan{}
	for axis := range rank {
		d := out.Dimensions[axis]
		if d == 1 {
			continue
		}
		last := len(p.dims) - 1
		if last >= 0 && p.lhsStrides[last] == ls[axis]*d && p.rhsStrides[last] == rs[axis]*d {
			// The previous axis steps over exactly this one in both operands: one axis.
			p.dims[last] *= d
			p.lhsStrides[last], p.rhsStrides[last] = ls[axis], rs[axis]
			continue
		}
		p.dims = append(p.dims, d)
		p.lhsStrides = append(p.lhsStrides, ls[axis])
		p.rhsStrides = append(p.rhsStrides, rs[axis])
	}
	if len(p.dims) == 0 { // a single value
		p.dims, p.lhsStrides, p.rhsStrides = []int{1}, []int{0}, []int{0}
	}
	return p, true
}

// broadcastStrides gives x's strides in the output's axes, 0 where x is broadcast.
func broadcastStrides(x, out shapes.Shape) ([]int, bool) {
	strides := make([]int, out.Rank())
	if x.Size() == 1 {
		return strides, true
	}
	if x.Rank() != out.Rank() {
		return nil, false
	}
	stride := 1
	for axis := out.Rank() - 1; axis >= 0; axis-- {
		switch xd := x.Dimensions[axis]; {
		case xd == out.Dimensions[axis]:
			strides[axis] = stride
			stride *= xd
		case xd == 1:
		default:
			return nil, false
		}
	}
	return strides, true
}

// binaryExecutor is a float32 executor of Add, Sub, Mul or Div with GoMLX's implicit
// broadcasting of axes of size 1; everything else goes to simplego's executor.
func (k *kernels) binaryExecutor(op backends.OpType) executor {
	fallback := k.fallback[op]
	return func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
		n := nodeOf(node)
		if len(inputs) != 2 || n.shape.DType != dtypes.Float32 {
			return fallback(backend, node, inputs, inputsOwned)
		}
		lhs, rhs := bufferOf(inputs[0]), bufferOf(inputs[1])
		a, ok1 := lhs.flat.([]float32)
		b, ok2 := rhs.flat.([]float32)
		if !ok1 || !ok2 {
			return fallback(backend, node, inputs, inputsOwned)
		}
		plan, ok := planBroadcast(n.shape, lhs.shape, rhs.shape)
		if !ok {
			return fallback(backend, node, inputs, inputsOwned)
		}
		// Reuse an operand's buffer when simplego hands it over and it has the output's shape:
		// then it is read at the very index being written.
		var out *simplego.Buffer
		switch {
		case inputsOwned[1] && rhs.shape.Equal(n.shape):
			out, inputs[1] = inputs[1], nil
		case inputsOwned[0] && lhs.shape.Equal(n.shape):
			out, inputs[0] = inputs[0], nil
		default:
			if out = getBufferForShape(backend, n.shape); out == nil {
				return nil, errors.New("cpukernels: binary op on a finalized backend")
			}
		}
		c := bufferOf(out).flat.([]float32)
		runBinary(op, plan, c, a, b, &k.offsets)
		return out, nil
	}
}

// minBlock is the shortest inner block runBinary works on: broadcasts over the last axes (a
// group norm's [batch, hw, groups, channels/groups] minus its [batch, 1, groups, 1] mean) leave
// runs of a few elements, and per-run overhead would then dominate.
const minBlock = 512

// minRun is the shortest innermost axis that runBinary computes run by run rather than
// gathering a broadcast operand: four vectors of eight, enough to amortise a call per run.
const minRun = 32

// runBinary computes c = a op b over the plan, in blocks of the innermost axes spread over the
// cores. A block spans the last axes up to at least minBlock elements (at most
// elementwiseChunk, so that there are blocks to share and gather patterns stay small); an operand that is not
// contiguous or constant over its block is first gathered into a scratch block (each block's
// pattern of offsets is the same, only its base moves), so that the arithmetic always runs over
// long contiguous slices.
func runBinary(op backends.OpType, p broadcastPlan, c, a, b []float32, cache *offsetCache) {
	rank := len(p.dims)
	split := rank - 1 // axes [split, rank) form the block
	block := p.dims[rank-1]
	for split > 0 && block < minBlock && block*p.dims[split-1] <= elementwiseChunk {
		split--
		block *= p.dims[split]
	}
	pa, sa := blockPattern(p.dims[split:], p.lhsStrides[split:], cache)
	pb, sb := blockPattern(p.dims[split:], p.rhsStrides[split:], cache)
	outer := p.dims[:split]
	blocks := len(c) / block
	if pa == nil && pb == nil && block > elementwiseChunk {
		// Long blocks read in place (a plain same-shape op is one block): split each into
		// chunks so that every core has work.
		parts := (block + elementwiseChunk - 1) / elementwiseChunk
		parallelFor(blocks*parts, runtime.GOMAXPROCS(0), func(item int) {
			r, part := item/parts, item%parts
			offA, offB, rem := 0, 0, r
			for axis := split - 1; axis >= 0; axis-- {
				i := rem % outer[axis]
				rem /= outer[axis]
				offA += i * p.lhsStrides[axis]
				offB += i * p.rhsStrides[axis]
			}
			lo, hi := part*elementwiseChunk, min((part+1)*elementwiseChunk, block)
			binaryRun(op, c[r*block+lo:r*block+hi], a[offA+lo*sa:], b[offB+lo*sb:], sa, sb)
		})
		return
	}
	// An operand broadcast over middle axes ([batch, channels, h, w] plus a [1, channels, 1, 1]
	// bias) with a long innermost axis needs no gather: each inner run is contiguous or one
	// value, so the block is computed run by run from offsets found once.
	inner := p.dims[rank-1]
	var runA, runB []int
	if (pa != nil || pb != nil) && split < rank-1 && inner >= minRun {
		runA = cache.offsets(p.dims[split:rank-1], p.lhsStrides[split:rank-1])
		runB = cache.offsets(p.dims[split:rank-1], p.rhsStrides[split:rank-1])
		pa, pb = nil, nil
	}
	ia, ib := p.lhsStrides[rank-1], p.rhsStrides[rank-1]
	blocksPerItem := max(1, elementwiseChunk/block)
	items := (blocks + blocksPerItem - 1) / blocksPerItem
	workers := min(runtime.GOMAXPROCS(0), items)
	// Gather scratch, one pair of blocks per goroutine, made once per call.
	var scratch []float32
	if pa != nil || pb != nil {
		scratch = make([]float32, 2*block*max(workers, 1))
	}
	parallelForWorker(items, workers, func(worker, item int) {
		r0, r1 := item*blocksPerItem, min((item+1)*blocksPerItem, blocks)
		var ta, tb []float32
		if scratch != nil {
			ta, tb = scratch[2*worker*block:(2*worker+1)*block], scratch[(2*worker+1)*block:(2*worker+2)*block]
		}
		// Offsets of block r0 from its index in the outer axes, then an odometer.
		idx := make([]int, split)
		offA, offB, rem := 0, 0, r0
		for axis := split - 1; axis >= 0; axis-- {
			idx[axis] = rem % outer[axis]
			rem /= outer[axis]
			offA += idx[axis] * p.lhsStrides[axis]
			offB += idx[axis] * p.rhsStrides[axis]
		}
		for r := r0; r < r1; r++ {
			x, y, cr := a[offA:], b[offB:], c[r*block:(r+1)*block]
			if runA != nil {
				for j := range runA {
					binaryRun(op, cr[j*inner:(j+1)*inner], x[runA[j]:], y[runB[j]:], ia, ib)
				}
			} else {
				if pa != nil {
					for j, o := range pa {
						ta[j] = x[o]
					}
					x = ta
				}
				if pb != nil {
					for j, o := range pb {
						tb[j] = y[o]
					}
					y = tb
				}
				binaryRun(op, cr, x, y, sa, sb)
			}
			for axis := split - 1; axis >= 0; axis-- {
				idx[axis]++
				offA += p.lhsStrides[axis]
				offB += p.rhsStrides[axis]
				if idx[axis] < outer[axis] {
					break
				}
				offA -= p.lhsStrides[axis] * outer[axis]
				offB -= p.rhsStrides[axis] * outer[axis]
				idx[axis] = 0
			}
		}
	})
}

// blockPattern classifies an operand over one block (axes dims, its strides): contiguous
// (stride 1), constant (stride 0), or neither, in which case it returns the offsets to gather
// (and stride 1, for the gathered copy).
func blockPattern(dims, strides []int, cache *offsetCache) (gather []int, stride int) {
	constant, contiguousRun, want := true, true, 1
	for axis := len(dims) - 1; axis >= 0; axis-- {
		constant = constant && strides[axis] == 0
		contiguousRun = contiguousRun && strides[axis] == want
		want *= dims[axis]
	}
	switch {
	case constant:
		return nil, 0
	case contiguousRun:
		return nil, 1
	}
	return cache.offsets(dims, strides), 1
}

// offsets lists, in row-major order over dims, the operand offsets its strides give.
func offsets(dims, strides []int) []int {
	out := []int{0}
	for axis, d := range dims {
		next := make([]int, 0, len(out)*d)
		for _, o := range out {
			for i := range d {
				next = append(next, o+i*strides[axis])
			}
		}
		out = next
	}
	return out
}

// binaryRun is one inner run: c[i] = a[i*sa] op b[i*sb], strides 0 or 1.
func binaryRun(op backends.OpType, c, a, b []float32, sa, sb int) {
	if done := binaryVec(op, c, a, b, sa, sb); done > 0 {
		c = c[done:]
		if sa == 1 {
			a = a[done:]
		}
		if sb == 1 {
			b = b[done:]
		}
		if len(c) == 0 {
			return
		}
	}
	n := len(c)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := range c {
				c[i] = a[i] + b[i]
			}
		case backends.OpTypeSub:
			for i := range c {
				c[i] = a[i] - b[i]
			}
		case backends.OpTypeMul:
			for i := range c {
				c[i] = a[i] * b[i]
			}
		case backends.OpTypeDiv:
			for i := range c {
				c[i] = a[i] / b[i]
			}
		}
	case sa == 1:
		a, s := a[:n], b[0]
		switch op {
		case backends.OpTypeAdd:
			for i := range c {
				c[i] = a[i] + s
			}
		case backends.OpTypeSub:
			for i := range c {
				c[i] = a[i] - s
			}
		case backends.OpTypeMul:
			for i := range c {
				c[i] = a[i] * s
			}
		case backends.OpTypeDiv:
			for i := range c {
				c[i] = a[i] / s
			}
		}
	case sb == 1:
		s, b := a[0], b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := range c {
				c[i] = s + b[i]
			}
		case backends.OpTypeSub:
			for i := range c {
				c[i] = s - b[i]
			}
		case backends.OpTypeMul:
			for i := range c {
				c[i] = s * b[i]
			}
		case backends.OpTypeDiv:
			for i := range c {
				c[i] = s / b[i]
			}
		}
	default:
		var v float32
		switch op {
		case backends.OpTypeAdd:
			v = a[0] + b[0]
		case backends.OpTypeSub:
			v = a[0] - b[0]
		case backends.OpTypeMul:
			v = a[0] * b[0]
		case backends.OpTypeDiv:
			v = a[0] / b[0]
		}
		for i := range c {
			c[i] = v
		}
	}
}
