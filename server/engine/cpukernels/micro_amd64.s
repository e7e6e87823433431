//go:build goexperiment.simd

#include "textflag.h"

// func microAVX2Asm(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)
//
// The 4x16 micro-kernel (see microKernel): c[r][j] (+)= sum over t < kc of a[r*lda+t] *
// b[t*16+j], each element accumulated in increasing t with one fused multiply-add per step, so
// its bits are those of the archsimd kernel it replaces. Accumulators Y0-Y7 (row r in Y2r,
// Y2r+1), the panel row in Y8-Y9, broadcasts of a in Y10-Y13. The caller checks the bounds and
// that kc > 0.
TEXT ·microAVX2Asm(SB), NOSPLIT, $0-49
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), DX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (DI)(R9*1), R13
	MOVBLZX load+48(FP), AX
	TESTQ AX, AX
	JZ   zero
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (R13), Y2
	VMOVUPS 32(R13), Y3
	LEAQ (R13)(R9*1), AX
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	ADDQ R9, AX
	VMOVUPS (AX), Y6
	VMOVUPS 32(AX), Y7
	JMP  start

zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

start:
	XORQ BX, BX

loop:
	VMOVUPS      (DX), Y8
	VMOVUPS      32(DX), Y9
	VBROADCASTSS (SI)(BX*4), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R10)(BX*4), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R11)(BX*4), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R12)(BX*4), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $64, DX
	INCQ         BX
	CMPQ         BX, CX
	JLT          loop

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (R13)
	VMOVUPS Y3, 32(R13)
	LEAQ    (R13)(R9*1), AX
	VMOVUPS Y4, (AX)
	VMOVUPS Y5, 32(AX)
	ADDQ    R9, AX
	VMOVUPS Y6, (AX)
	VMOVUPS Y7, 32(AX)
	VZEROUPPER
	RET
