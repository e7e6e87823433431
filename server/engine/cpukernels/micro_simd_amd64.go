//go:build goexperiment.simd

package cpukernels

import "simd/archsimd"

// simdKernel is the AVX2+FMA micro-kernel when the CPU has both; the portable one otherwise.
func simdKernel() (microKernel, string) {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		return microAVX2, "avx2+fma 6x16"
	}
	return microGeneric, "portable Go 6x16 (the CPU lacks AVX2 or FMA)"
}

// microAVX2 is microKernel with the 4x16 tile in eight 8-float registers: per step of the
// contracted axis two loads of the right panel, four broadcasts of the left one and eight fused
// multiply-adds. Four rows, not six: the compiler loads every broadcast of a step before the
// multiply-adds, and 6 rows (12 + 2 + 6 registers) spill out of the 16 YMM registers.
func microAVX2(kc int, a, b, c []float32, ldc int, load bool) {
	a, b = a[:kc*mr], b[:kc*nr]
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	if load {
		c00, c01 = archsimd.LoadFloat32x8Slice(c[0:]), archsimd.LoadFloat32x8Slice(c[8:])
		c10, c11 = archsimd.LoadFloat32x8Slice(c[ldc:]), archsimd.LoadFloat32x8Slice(c[ldc+8:])
		c20, c21 = archsimd.LoadFloat32x8Slice(c[2*ldc:]), archsimd.LoadFloat32x8Slice(c[2*ldc+8:])
		c30, c31 = archsimd.LoadFloat32x8Slice(c[3*ldc:]), archsimd.LoadFloat32x8Slice(c[3*ldc+8:])
	}
	for len(a) >= mr && len(b) >= nr {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(b[0:8]))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(b[8:16]))
		x0 := archsimd.BroadcastFloat32x8(a[0])
		x1 := archsimd.BroadcastFloat32x8(a[1])
		x2 := archsimd.BroadcastFloat32x8(a[2])
		x3 := archsimd.BroadcastFloat32x8(a[3])
		c00, c01 = x0.MulAdd(b0, c00), x0.MulAdd(b1, c01)
		c10, c11 = x1.MulAdd(b0, c10), x1.MulAdd(b1, c11)
		c20, c21 = x2.MulAdd(b0, c20), x2.MulAdd(b1, c21)
		c30, c31 = x3.MulAdd(b0, c30), x3.MulAdd(b1, c31)
		a, b = a[mr:], b[nr:]
	}
	c00.StoreSlice(c[0:])
	c01.StoreSlice(c[8:])
	c10.StoreSlice(c[ldc:])
	c11.StoreSlice(c[ldc+8:])
	c20.StoreSlice(c[2*ldc:])
	c21.StoreSlice(c[2*ldc+8:])
	c30.StoreSlice(c[3*ldc:])
	c31.StoreSlice(c[3*ldc+8:])
}
