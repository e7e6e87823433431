package cpukernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking of the matrix product. The micro-kernel computes an mr x nr tile of the output from
// an mr-row panel of the left operand and an nr-column panel of the right one, both packed so
// that the kernel reads them sequentially: [k][mr] and [k][nr]. A tile of work is mc x nc
// outputs; within it the contracted axis is walked in blocks of kc so that one right panel
// (kc x nr, 16 KiB) stays in L1 while it meets every left panel of the tile (mc x kc, 96 KiB,
// in L2).
const (
	mr = 4  // rows of the micro-kernel: 4 x 2 vectors of 8 accumulators + 2 + 4 = 14 of 16 YMM registers
	nr = 16 // columns of the micro-kernel: two 8-float vectors
	kc = 256
	mc = 24 * mr
	nc = 16 * nr
)

// minParallelFlops is the size of product below which one goroutine does all of it: starting
// goroutines costs a few microseconds, as much as ~100 kFLOP of arithmetic.
const minParallelFlops = 1 << 18

// operand describes a normalised DotGeneral operand without moving it: element (b, i, t) of the
// [batch, rows, depth] view is data[batch[b] + rows[i] + depth[t]]. Any transposition of the
// original axes is thereby read in place while packing.
type operand struct {
	data               []float32
	batch, rows, depth []int
	// contiguousDepth: depth is 0, 1, 2, ... (the contracted axes are the innermost ones, in
	// order), so a row packs from one slice.
	contiguousDepth bool
}

// gemm computes c[b][i][j] = sum_t a(b, i, t) * b(b, j, t) for every b < batch, i < m, j < n,
// t < k, with c row-major [batch][m][n]. Each output is summed in order of increasing t by one
// goroutine, so c does not depend on workers (<= 0 means GOMAXPROCS). scratch gives the packing
// buffers; it is called once per call with the total length needed and returns a slice of at
// least that length, with a function to release it.
func gemm(c []float32, a, b operand, batch, m, n, k, workers int, scratch func(int) ([]float32, func()), micro microKernel) {
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:batch*m*n])
		return
	}
	mPanels, nPanels := (m+mr-1)/mr, (n+nr-1)/nr
	aLen, bLen := mPanels*mr*k, nPanels*nr*k
	buf, release := scratch(batch * (aLen + bLen))
	defer release()
	ap, bp := buf[:batch*aLen], buf[batch*aLen:batch*(aLen+bLen)]

	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if float64(batch)*float64(m)*float64(n)*float64(k) < minParallelFlops {
		workers = 1
	}

	// Phase 1: pack every panel of both operands.
	packItems := batch * (mPanels + nPanels)
	parallelFor(packItems, workers, func(item int) {
		bi, p := item/(mPanels+nPanels), item%(mPanels+nPanels)
		if p < mPanels {
			packPanel(ap[bi*aLen+p*mr*k:][:mr*k], a, bi, p*mr, m, mr)
		} else {
			p -= mPanels
			packPanel(bp[bi*bLen+p*nr*k:][:nr*k], b, bi, p*nr, n, nr)
		}
	})

	// Phase 2: tiles of the output, in any order.
	mTiles, nTiles := (m+mc-1)/mc, (n+nc-1)/nc
	parallelFor(batch*mTiles*nTiles, workers, func(item int) {
		bi, rest := item/(mTiles*nTiles), item%(mTiles*nTiles)
		i0, j0 := (rest/nTiles)*mc, (rest%nTiles)*nc
		i1, j1 := min(i0+mc, m), min(j0+nc, n)
		cb := c[bi*m*n : (bi+1)*m*n]
		var edge [mr * nr]float32
		for k0 := 0; k0 < k; k0 += kc {
			kk := min(kc, k-k0)
			load := k0 > 0
			for j := j0; j < j1; j += nr {
				bPanel := bp[bi*bLen+(j/nr)*nr*k+k0*nr:][:kk*nr]
				cols := min(nr, n-j)
				for i := i0; i < i1; i += mr {
					aPanel := ap[bi*aLen+(i/mr)*mr*k+k0*mr:][:kk*mr]
					rows := min(mr, m-i)
					if rows == mr && cols == nr {
						micro(kk, aPanel, bPanel, cb[i*n+j:], n, load)
						continue
					}
					// A partial tile: compute it whole in edge, then copy the valid part.
					if load {
						for r := range rows {
							copy(edge[r*nr:r*nr+cols], cb[(i+r)*n+j:][:cols])
						}
					}
					micro(kk, aPanel, bPanel, edge[:], nr, load)
					for r := range rows {
						copy(cb[(i+r)*n+j:][:cols], edge[r*nr:r*nr+cols])
					}
				}
			}
		}
	})
}

// packPanel copies rows [i0, i0+width) of operand x's batch bi into dst as [k][width], with
// zeros for rows at or past m.
func packPanel(dst []float32, x operand, bi, i0, m, width int) {
	k := len(x.depth)
	base := x.batch[bi]
	for r := range width {
		i := i0 + r
		if i >= m {
			for t := range k {
				dst[t*width+r] = 0
			}
			continue
		}
		src := x.data[base+x.rows[i]:]
		if x.contiguousDepth {
			src = src[:k]
			for t, v := range src {
				dst[t*width+r] = v
			}
			continue
		}
		for t, off := range x.depth {
			dst[t*width+r] = src[off]
		}
	}
}

// contiguous reports whether offsets are 0, 1, 2, ...
func contiguous(offsets []int) bool {
	for t, off := range offsets {
		if off != t {
			return false
		}
	}
	return true
}

// parallelFor calls body(i) for every i < items on up to workers goroutines. Which goroutine
// runs which item is not fixed; callers make each item's result independent of that.
func parallelFor(items, workers int, body func(int)) {
	workers = min(workers, items)
	if workers <= 1 {
		for i := range items {
			body(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= items {
					return
				}
				body(i)
			}
		})
	}
	wg.Wait()
}

// microKernel computes the mr x nr tile c[r*ldc+j] (+)= sum_t a[t*mr+r] * b[t*nr+j] over t < kc,
// adding to c's values when load is set and overwriting them otherwise. Each element's sum is
// accumulated in order of increasing t, on top of c's value when loading, so splitting the
// contracted axis into blocks gives the same bits as one pass.
type microKernel func(kc int, a, b, c []float32, ldc int, load bool)

// microGeneric is the portable micro-kernel: the tile in 2 x 4 blocks, eight accumulators each,
// which the Go compiler keeps in registers.
func microGeneric(kc int, a, b, c []float32, ldc int, load bool) {
	a, b = a[:kc*mr], b[:kc*nr]
	for r := 0; r < mr; r += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			if load {
				c0, c1 := c[r*ldc+j:][:4], c[(r+1)*ldc+j:][:4]
				c00, c01, c02, c03 = c0[0], c0[1], c0[2], c0[3]
				c10, c11, c12, c13 = c1[0], c1[1], c1[2], c1[3]
			}
			for t := range kc {
				at := a[t*mr+r:][:2]
				bt := b[t*nr+j:][:4]
				a0, a1 := at[0], at[1]
				b0, b1, b2, b3 := bt[0], bt[1], bt[2], bt[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			c0, c1 := c[r*ldc+j:][:4], c[(r+1)*ldc+j:][:4]
			c0[0], c0[1], c0[2], c0[3] = c00, c01, c02, c03
			c1[0], c1[1], c1[2], c1[3] = c10, c11, c12, c13
		}
	}
}
