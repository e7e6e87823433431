package cpukernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking of the matrix product. The micro-kernel computes an mr x nr tile of the output from
// mr rows of the left operand (row-major, in place or packed) and an nr-column panel of the
// right one packed as [k][nr], which it reads sequentially. A tile of work is mc x nc outputs;
// within it the contracted axis is walked in blocks of kc so that one right panel (kc x nr,
// 16 KiB) stays in L1 while it meets every row block of the tile (mc x kc, 96 KiB, in L2).
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
	// order), so a row is one run.
	contiguousDepth bool
	// rowStride > 0: rows are evenly spaced by it (rows[i] = i*rowStride) and contiguousDepth,
	// so the left operand's micro-kernel can read rows in place, without packing.
	rowStride int
}

// newStridedOperand sets contiguousDepth and rowStride from the offsets.
func (x *operand) classify() {
	x.contiguousDepth = contiguous(x.depth)
	x.rowStride = 0
	if !x.contiguousDepth || len(x.rows) == 0 || x.rows[0] != 0 {
		return
	}
	stride := len(x.depth)
	if len(x.rows) > 1 {
		stride = x.rows[1]
	}
	for i, off := range x.rows {
		if off != i*stride {
			return
		}
	}
	if stride >= len(x.depth) {
		x.rowStride = stride
	}
}

// gemm computes c[b][i][j] = sum_t a(b, i, t) * b(b, j, t) for every b < batch, i < m, j < n,
// t < k, with c row-major [batch][m][n]. Each output is summed in order of increasing t by one
// goroutine, so c does not depend on workers (<= 0 means GOMAXPROCS). scratch gives the packing
// buffers; it is called once per call with the total length needed and returns a slice of at
// least that length, with a function to release it.
//
// The right operand is packed into nr-column panels [k][nr]. The left one is read in place when
// its rows are evenly spaced runs (row-major activations, the common case: packing it would cost
// as much as the arithmetic when n is small), else packed into mr-row panels [mr][k].
func gemm(c []float32, a, b operand, batch, m, n, k, workers int, scratch func(int) ([]float32, func()), micro microKernel) {
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:batch*m*n])
		return
	}
	mPanels, nPanels := (m+mr-1)/mr, (n+nr-1)/nr
	aDirect := a.rowStride > 0
	aLen, bLen := mPanels*mr*k, nPanels*nr*k
	if aDirect {
		aLen, mPanels = 0, 0
	}
	buf, release := scratch(batch * (aLen + bLen))
	defer release()
	ap, bp := buf[:batch*aLen], buf[batch*aLen:batch*(aLen+bLen)]

	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if float64(batch)*float64(m)*float64(n)*float64(k) < minParallelFlops {
		workers = 1
	}

	// Phase 1: pack every panel.
	packItems := batch * (mPanels + nPanels)
	parallelFor(packItems, workers, func(item int) {
		bi, p := item/(mPanels+nPanels), item%(mPanels+nPanels)
		if p < mPanels {
			packRows(ap[bi*aLen+p*mr*k:][:mr*k], a, bi, p*mr, m)
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
		// Scratch for partial tiles, made on first need: only the last row and column of
		// tiles have any, and fixed arrays here would escape to the heap for every item.
		var edge, edgeA []float32
		for k0 := 0; k0 < k; k0 += kc {
			kk := min(kc, k-k0)
			load := k0 > 0
			for j := j0; j < j1; j += nr {
				bPanel := bp[bi*bLen+(j/nr)*nr*k+k0*nr:][:kk*nr]
				cols := min(nr, n-j)
				for i := i0; i < i1; i += mr {
					rows := min(mr, m-i)
					var aPanel []float32
					lda := k
					switch {
					case !aDirect:
						aPanel = ap[bi*aLen+(i/mr)*mr*k+k0:]
					case rows == mr:
						aPanel, lda = a.data[a.batch[bi]+i*a.rowStride+k0:], a.rowStride
					default:
						// The last rows of an in-place operand: a zero-padded copy, so that
						// the kernel's mr rows exist.
						if edgeA == nil {
							edgeA = make([]float32, mr*kc)
						}
						clear(edgeA)
						for r := range rows {
							copy(edgeA[r*kk:(r+1)*kk], a.data[a.batch[bi]+(i+r)*a.rowStride+k0:])
						}
						aPanel, lda = edgeA, kk
					}
					if rows == mr && cols == nr {
						micro(kk, aPanel, lda, bPanel, cb[i*n+j:], n, load)
						continue
					}
					// A partial tile: compute it whole in edge, then copy the valid part.
					if edge == nil {
						edge = make([]float32, mr*nr)
					}
					if load {
						for r := range rows {
							copy(edge[r*nr:r*nr+cols], cb[(i+r)*n+j:][:cols])
						}
					}
					micro(kk, aPanel, lda, bPanel, edge, nr, load)
					for r := range rows {
						copy(cb[(i+r)*n+j:][:cols], edge[r*nr:r*nr+cols])
					}
				}
			}
		}
	})
}

// packRows copies rows [i0, i0+mr) of the left operand's batch bi into dst as [mr][k] (zeros
// for rows at or past m): row-major like the operand, so the micro-kernel reads packed and
// in-place operands alike (lda = k).
func packRows(dst []float32, x operand, bi, i0, m int) {
	k := len(x.depth)
	rows := min(mr, m-i0)
	clear(dst[rows*k:])
	var offs [mr]int
	adjacent := true
	for r := range rows {
		offs[r] = x.batch[bi] + x.rows[i0+r]
		adjacent = adjacent && offs[r] == offs[0]+r
	}
	switch {
	case x.contiguousDepth:
		for r := range rows {
			copy(dst[r*k:(r+1)*k], x.data[offs[r]:offs[r]+k])
		}
	case adjacent:
		// Depth-major (a transposed operand): each step of depth reads the rows as one run.
		for t, d := range x.depth {
			for r, v := range x.data[offs[0]+d : offs[0]+d+rows] {
				dst[r*k+t] = v
			}
		}
	default:
		for r := range rows {
			row := dst[r*k : (r+1)*k]
			for t, d := range x.depth {
				row[t] = x.data[offs[r]+d]
			}
		}
	}
}

// packPanel copies rows [i0, i0+width) of operand x's batch bi into dst as [k][width], with
// zeros for rows at or past m. It writes dst sequentially and reads the width rows as parallel
// streams, which suits both layouts met in practice: rows contiguous in depth (a row is one
// run) and depth-major operands (a step of depth is one run across rows), the transposed
// operands of gradients.
func packPanel(dst []float32, x operand, bi, i0, m, width int) {
	rows := min(width, m-i0)
	var offs [max(mr, nr)]int
	for r := range rows {
		offs[r] = x.batch[bi] + x.rows[i0+r]
	}
	// Depth-major with rows adjacent: each step of depth is one copy.
	adjacent := true
	for r := 1; r < rows; r++ {
		adjacent = adjacent && offs[r] == offs[0]+r
	}
	if x.contiguousDepth && !adjacent {
		// Rows are contiguous runs: a blocked transpose, reading each row in steps of 64 while
		// the 64 x width block written (4 KiB) stays in L1.
		k := len(x.depth)
		for t0 := 0; t0 < k; t0 += 64 {
			t1 := min(t0+64, k)
			for r := range rows {
				src := x.data[offs[r]+t0 : offs[r]+t1]
				out := dst[t0*width+r:]
				for tt, v := range src {
					out[tt*width] = v
				}
			}
		}
		if rows < width {
			for t := range k {
				clear(dst[t*width+rows : (t+1)*width])
			}
		}
		return
	}
	if adjacent && rows == nr && width == nr {
		// Whole panel rows: 64-byte copies, which copy would hand to memmove one call each.
		copyRows16(dst, x.data, offs[0], x.depth)
		return
	}
	for t, d := range x.depth {
		out := dst[t*width : (t+1)*width]
		if adjacent {
			copy(out[:rows], x.data[offs[0]+d:offs[0]+d+rows])
		} else {
			for r := range rows {
				out[r] = x.data[offs[r]+d]
			}
		}
		clear(out[rows:])
	}
}

// copyRows16Portable is copyRows16 in plain Go: one fixed-size array assignment per row.
func copyRows16Portable(dst, src []float32, base int, depth []int) {
	for t, d := range depth {
		*(*[16]float32)(dst[16*t:]) = *(*[16]float32)(src[base+d:])
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
	parallelForWorker(items, workers, func(_, item int) { body(item) })
}

// parallelForWorker is parallelFor that also tells body which goroutine (0 <= worker <
// min(workers, items)) runs the item, for per-goroutine scratch space.
func parallelForWorker(items, workers int, body func(worker, item int)) {
	workers = min(workers, items)
	if workers <= 1 {
		for i := range items {
			body(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= items {
					return
				}
				body(w, i)
			}
		})
	}
	wg.Wait()
}

// microKernel computes the mr x nr tile c[r*ldc+j] (+)= sum_t a[r*lda+t] * b[t*nr+j] over t < kc,
// adding to c's values when load is set and overwriting them otherwise. Each element's sum is
// accumulated in order of increasing t, on top of c's value when loading, so splitting the
// contracted axis into blocks gives the same bits as one pass.
type microKernel func(kc int, a []float32, lda int, b, c []float32, ldc int, load bool)

// microGeneric is the portable micro-kernel: the 4x16 tile in 2 x 4 blocks, eight accumulators
// each, which the Go compiler keeps in registers.
func microGeneric(kc int, a []float32, lda int, b, c []float32, ldc int, load bool) {
	b = b[:kc*nr]
	for r := 0; r < mr; r += 2 {
		a0, a1 := a[r*lda:r*lda+kc], a[(r+1)*lda:(r+1)*lda+kc]
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			if load {
				c0, c1 := c[r*ldc+j:][:4], c[(r+1)*ldc+j:][:4]
				c00, c01, c02, c03 = c0[0], c0[1], c0[2], c0[3]
				c10, c11, c12, c13 = c1[0], c1[1], c1[2], c1[3]
			}
			for t := range kc {
				bt := b[t*nr+j:][:4]
				x0, x1 := a0[t], a1[t]
				b0, b1, b2, b3 := bt[0], bt[1], bt[2], bt[3]
				c00 += x0 * b0
				c01 += x0 * b1
				c02 += x0 * b2
				c03 += x0 * b3
				c10 += x1 * b0
				c11 += x1 * b1
				c12 += x1 * b2
				c13 += x1 * b3
			}
			c0, c1 := c[r*ldc+j:][:4], c[(r+1)*ldc+j:][:4]
			c0[0], c0[1], c0[2], c0[3] = c00, c01, c02, c03
			c1[0], c1[1], c1[2], c1[3] = c10, c11, c12, c13
		}
	}
}
