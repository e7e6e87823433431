//go:build goexperiment.simd

package cpukernels

import (
	"math"
	"simd/archsimd"

	"github.com/gomlx/gomlx/backends"
)

// Every function here that runs 256-bit instructions ends them with ClearAVXUpperBits
// (VZEROUPPER): Go's own float code is SSE, and SSE instructions after AVX ones that left the
// upper halves of the YMM registers dirty pay for it on every instruction (a false dependency
// and a merge), which made the scalar code around these kernels several times slower (the
// reductions' run loops cost more than their arithmetic). The compiler does not insert it yet.

// simdKernel is the AVX2+FMA micro-kernel when the CPU has both; the portable one otherwise.
func simdKernel() (microKernel, string) {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		return microAVX2, "avx2+fma 4x16"
	}
	return microGeneric, "portable Go 4x16 (the CPU lacks AVX2 or FMA)"
}

// microAVX2 is microKernel with the 4x16 tile in eight 8-float registers: per step of the
// contracted axis two loads of the right panel, four broadcasts of the left one and eight fused
// multiply-adds. It is assembly (micro_amd64.s) because the compiler's form of the archsimd
// version kept the broadcasts in registers that its multiply-adds then overwrote, so every step
// also copied a dozen registers and checked four bounds: about 40 instructions for 8
// multiply-adds, 42 GFLOP/s on one core. The bits are the same (one fused multiply-add per
// step, in increasing t).
func microAVX2(kc int, a []float32, lda int, b, c []float32, ldc int, load bool) {
	// The bounds the assembly reads and writes, checked here.
	_, _, _ = a[3*lda+kc-1], b[kc*nr-1], c[3*ldc+nr-1]
	microAVX2Asm(kc, &a[0], lda, &b[0], &c[0], ldc, load)
}

// microAVX2Asm is microAVX2 without bounds checks (micro_amd64.s); kc > 0.
//
//go:noescape
func microAVX2Asm(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

// expSlice sets out[i] = exp(in[i]) (in and out may be the same slice): eight at a time with
// AVX2+FMA where the CPU has them, by the method of expScalar (which does the remainder).
func expSlice(in, out []float32) {
	out = out[:len(in)]
	i := 0
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		hi, lo := archsimd.BroadcastFloat32x8(expHi), archsimd.BroadcastFloat32x8(expLo)
		l2e, maxN := archsimd.BroadcastFloat32x8(log2e), archsimd.BroadcastFloat32x8(maxExpN)
		c1, c2 := archsimd.BroadcastFloat32x8(-expC1), archsimd.BroadcastFloat32x8(-expC2)
		p0, p1 := archsimd.BroadcastFloat32x8(expP0), archsimd.BroadcastFloat32x8(expP1)
		p2, p3 := archsimd.BroadcastFloat32x8(expP2), archsimd.BroadcastFloat32x8(expP3)
		p4, p5 := archsimd.BroadcastFloat32x8(expP4), archsimd.BroadcastFloat32x8(expP5)
		one := archsimd.BroadcastFloat32x8(1)
		bias := archsimd.BroadcastInt32x8(127)
		inf := archsimd.BroadcastFloat32x8(float32(math.Inf(1)))
		var zero archsimd.Float32x8
		for ; i+8 <= len(in); i += 8 {
			x := archsimd.LoadFloat32x8((*[8]float32)(in[i : i+8]))
			xc := x.Min(hi).Max(lo)
			n := xc.Mul(l2e).RoundToEven().Min(maxN)
			r := n.MulAdd(c1, xc)
			r = n.MulAdd(c2, r)
			p := p0.MulAdd(r, p1)
			p = p.MulAdd(r, p2)
			p = p.MulAdd(r, p3)
			p = p.MulAdd(r, p4)
			p = p.MulAdd(r, p5)
			p = p.MulAdd(r.Mul(r), r.Add(one))
			scale := n.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8()
			y := p.Mul(scale)
			y = zero.Merge(y, x.Less(lo))   // below the range: 0
			y = inf.Merge(y, x.Greater(hi)) // above: +Inf
			y = x.Merge(y, x.IsNaN())       // NaN stays NaN
			y.Store((*[8]float32)(out[i : i+8]))
		}
		archsimd.ClearAVXUpperBits()
	}
	for ; i < len(in); i++ {
		out[i] = expScalar(in[i])
	}
}

// erfSlice sets out[i] = erf(in[i]) (in and out may be the same slice): eight at a time with
// AVX2+FMA where the CPU has them, by the method of erfScalar (which does the remainder).
func erfSlice(in, out []float32) {
	out = out[:len(in)]
	i := 0
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		hi, lo := archsimd.BroadcastFloat32x8(erfClamp), archsimd.BroadcastFloat32x8(-erfClamp)
		p13, p11 := archsimd.BroadcastFloat32x8(erfP13), archsimd.BroadcastFloat32x8(erfP11)
		p9, p7 := archsimd.BroadcastFloat32x8(erfP9), archsimd.BroadcastFloat32x8(erfP7)
		p5, p3 := archsimd.BroadcastFloat32x8(erfP5), archsimd.BroadcastFloat32x8(erfP3)
		p1 := archsimd.BroadcastFloat32x8(erfP1)
		q8, q6 := archsimd.BroadcastFloat32x8(erfQ8), archsimd.BroadcastFloat32x8(erfQ6)
		q4, q2 := archsimd.BroadcastFloat32x8(erfQ4), archsimd.BroadcastFloat32x8(erfQ2)
		q0 := archsimd.BroadcastFloat32x8(erfQ0)
		for ; i+8 <= len(in); i += 8 {
			x := archsimd.LoadFloat32x8((*[8]float32)(in[i : i+8]))
			xc := x.Min(hi).Max(lo)
			x2 := xc.Mul(xc)
			p := p13.MulAdd(x2, p11)
			p = p.MulAdd(x2, p9)
			p = p.MulAdd(x2, p7)
			p = p.MulAdd(x2, p5)
			p = p.MulAdd(x2, p3)
			p = p.MulAdd(x2, p1)
			q := q8.MulAdd(x2, q6)
			q = q.MulAdd(x2, q4)
			q = q.MulAdd(x2, q2)
			q = q.MulAdd(x2, q0)
			y := xc.Mul(p).Div(q)
			y = x.Merge(y, x.IsNaN()) // NaN stays NaN
			y.Store((*[8]float32)(out[i : i+8]))
		}
		archsimd.ClearAVXUpperBits()
	}
	for ; i < len(in); i++ {
		out[i] = erfScalar(in[i])
	}
}

// binaryVec computes the leading multiple of 8 of a binaryRun with AVX2 and returns how many
// elements it did (0 without AVX2); IEEE arithmetic rounds the same in vectors, so the bits are
// binaryRun's. One loop per op and stride pattern keeps branches out of the loops.
func binaryVec(op backends.OpType, c, a, b []float32, sa, sb int) int {
	if !archsimd.X86.AVX2() || (sa == 0 && sb == 0) {
		return 0
	}
	n := len(c) &^ 7
	c = c[:n]
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := 0; i+8 <= len(c); i += 8 {
				x := archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8]))
				y := archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))
				x.Add(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeSub:
			for i := 0; i+8 <= len(c); i += 8 {
				x := archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8]))
				y := archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))
				x.Sub(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeMul:
			for i := 0; i+8 <= len(c); i += 8 {
				x := archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8]))
				y := archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))
				x.Mul(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeDiv:
			for i := 0; i+8 <= len(c); i += 8 {
				x := archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8]))
				y := archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))
				x.Div(y).Store((*[8]float32)(c[i : i+8]))
			}
		}
	case sa == 1:
		a, y := a[:n], archsimd.BroadcastFloat32x8(b[0])
		switch op {
		case backends.OpTypeAdd:
			for i := 0; i+8 <= len(c); i += 8 {
				archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8])).Add(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeSub:
			for i := 0; i+8 <= len(c); i += 8 {
				archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8])).Sub(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeMul:
			for i := 0; i+8 <= len(c); i += 8 {
				archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8])).Mul(y).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeDiv:
			for i := 0; i+8 <= len(c); i += 8 {
				archsimd.LoadFloat32x8((*[8]float32)(a[i : i+8])).Div(y).Store((*[8]float32)(c[i : i+8]))
			}
		}
	default:
		x, b := archsimd.BroadcastFloat32x8(a[0]), b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := 0; i+8 <= len(c); i += 8 {
				x.Add(archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeSub:
			for i := 0; i+8 <= len(c); i += 8 {
				x.Sub(archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeMul:
			for i := 0; i+8 <= len(c); i += 8 {
				x.Mul(archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))).Store((*[8]float32)(c[i : i+8]))
			}
		case backends.OpTypeDiv:
			for i := 0; i+8 <= len(c); i += 8 {
				x.Div(archsimd.LoadFloat32x8((*[8]float32)(b[i : i+8]))).Store((*[8]float32)(c[i : i+8]))
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// sumLanesVec adds the whole vectors of run into the lanes l (lane j takes elements j, j+8,
// ...), with AVX where the CPU has it, and returns how many elements it took; the bits are
// sumLanes'.
func sumLanesVec(run []float32, l *[lanes]float32) int {
	if !archsimd.X86.AVX() {
		return sumLanes(run, l)
	}
	n := len(run) &^ (lanes - 1)
	acc := archsimd.LoadFloat32x8(l)
	for i := 0; i < n; i += lanes {
		acc = acc.Add(archsimd.LoadFloat32x8((*[lanes]float32)(run[i : i+lanes])))
	}
	acc.Store(l)
	archsimd.ClearAVXUpperBits()
	return n
}

// fillVec sets the leading multiple of 8 of out to x with AVX stores and returns how many it
// set (0 without AVX).
func fillVec(out []float32, x float32) int {
	if !archsimd.X86.AVX() {
		return 0
	}
	n := len(out) &^ 7
	v := archsimd.BroadcastFloat32x8(x)
	for i := 0; i < n; i += 8 {
		v.Store((*[8]float32)(out[i : i+8]))
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// copyRows16 sets dst[16t : 16t+16] = src[base+d : base+d+16] for each depth[t] = d (a
// panel of the matrix product packed from rows that are already 16-wide runs) with two AVX
// loads and stores per row.
func copyRows16(dst, src []float32, base int, depth []int) {
	if !archsimd.X86.AVX() {
		copyRows16Portable(dst, src, base, depth)
		return
	}
	dst = dst[:16*len(depth)]
	for t, d := range depth {
		s, o := src[base+d:base+d+16], dst[16*t:16*t+16]
		archsimd.LoadFloat32x8((*[8]float32)(s[0:8])).Store((*[8]float32)(o[0:8]))
		archsimd.LoadFloat32x8((*[8]float32)(s[8:16])).Store((*[8]float32)(o[8:16]))
	}
	archsimd.ClearAVXUpperBits()
}
