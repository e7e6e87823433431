package wgsl

import (
	"fmt"
	"strings"
)

// MatMul is the tiled matrix-multiply family (matmul.wgsl):
// C = (act(alpha*A·Bᵀ + bias) + R) * out_scale over strided, batched operands.
type MatMul struct {
	BF16     bool // B is f16 (a weight); else f32
	Bias     bool // add bias[n]
	Residual bool // add R after the activation
	Act      Act
	Small    bool // 32x32 tiles (64 threads) for narrow problems; else 64x64 (256 threads)
	// Direct reads the operands from storage in every thread, without workgroup memory or
	// barriers: the variant for CPU adapters (ForCPU). Same tiles, grid and results.
	Direct bool
	// Vec4 reads A and B four K at a time as vec4s (f16 B: two words): the tiled kernel stages
	// its tiles a vec4 per load; with Direct (CPU adapters) each thread keeps an 8x8 block of
	// outputs in named registers, in workgroups of T/8 x T/8 threads. Same tiles, grid and
	// results. Only for operands that MatMulVec4Fits; ForGPU and ForCPU pick it where they do.
	Vec4 bool
	// Half reads an f16 B as WGSL's f16 (the device has shader-f16; WithHalf) instead of
	// unpacking u32 words. Same bytes, values and results.
	Half bool
}

func (k MatMul) tile() uint32 {
	if k.Small {
		return 32
	}
	return 64
}

// SmallTile reports whether a problem of m x n outputs is better served by 32x32 tiles: a side
// of 32 or less would leave most of a 64-wide tile idle.
func SmallTile(m, n uint32) bool { return m <= 32 || n <= 32 }

// MatMulParams mirrors struct Params in matmul.wgsl. Element (m,k) of A is at
// AOff + b1*AB1 + b2*AB2 + m*AM + k*AK for batch z = b1*Batch2 + b2; likewise B (n,k), C and R (m,n).
type MatMulParams struct {
	M, N, K, Batch1, Batch2 uint32
	AOff, AB1, AB2, AM, AK  uint32
	BOff, BB1, BB2, BN, BK  uint32
	COff, CB1, CB2, CM, CN  uint32
	ROff, RB1, RB2, RM, RN  uint32
	BiasOff                 uint32
	Alpha, OutScale         float32
}

func (MatMul) Family() string { return "matmul" }

func (k MatMul) Bindings() []Binding {
	bt := F32
	if k.BF16 {
		bt = F16
	}
	b := []Binding{{Name: "a", Type: F32}, {Name: "b", Type: bt}}
	if k.Bias {
		b = append(b, Binding{Name: "bias", Type: F32})
	}
	if k.Residual {
		b = append(b, Binding{Name: "r", Type: F32})
	}
	return append(b, Binding{Name: "c", Type: F32, Write: true})
}

func (k MatMul) Source() (string, error) {
	bias, r := 3, 3
	if k.Bias {
		r++
	}
	c := r
	if k.Residual {
		c++
	}
	wg, block := k.tile()/4, ""
	if k.Vec4 && k.Direct {
		wg = k.tile() / 8
		block = vec4Block(wg)
	}
	return expandHalf(k.BF16 && k.Half, "matmul.wgsl", Defines{"W": "b", "W_F16": k.BF16, "W_HALF": k.BF16 && k.Half,
		"W_WORDS": k.BF16 && !k.Half, "BIAS": k.Bias, "RESIDUAL": k.Residual, "DIRECT": k.Direct,
		"VEC4": k.Vec4, "VEC4_DIRECT": k.Vec4 && k.Direct, "VEC4_BLOCK": block, "WG": wg,
		"ACT": int(k.Act), "BIAS_BINDING": bias, "R_BINDING": r, "C_BINDING": c, "T": k.tile()})
}

// MatMulVec4Fits reports whether a product can run as the Vec4 variant: A's and B's rows contiguous
// along K, K a multiple of 4, and every offset and stride of A and B a multiple of 4 elements, so
// that each row is a run of whole vec4s (B's f16 halves: two words).
func MatMulVec4Fits(p MatMulParams) bool {
	if p.AK != 1 || p.BK != 1 {
		return false
	}
	for _, v := range []uint32{p.K, p.AOff, p.AB1, p.AB2, p.AM, p.BOff, p.BB1, p.BB2, p.BN} {
		if v%4 != 0 {
			return false
		}
	}
	return true
}

// vec4Block is the Vec4 variant's main loop and stores for threads s apart: eight rows of A
// (x0..x7) and of B (y0..y7) per four K, and 64 sums c{i}_{j} of row m0 + s*i, column n0 + s*j,
// written out as named variables because a CPU adapter keeps arrays indexed in loops in memory.
func vec4Block(s uint32) string {
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "  let pa%d = abase + min(m0 + %du, p.m - 1u) * am;\n", i, s*uint32(i))
		fmt.Fprintf(&b, "  let pb%d = bbase + min(n0 + %du, p.n - 1u) * bn;\n", i, s*uint32(i))
	}
	for i := range 8 {
		for j := range 8 {
			fmt.Fprintf(&b, "  var c%d_%d = 0.0;\n", i, j)
		}
	}
	b.WriteString("  for (var k = 0u; k < k4; k++) {\n")
	for i := range 8 {
		fmt.Fprintf(&b, "    let x%d = a[pa%d + k];\n    let y%d = load_w4(pb%d + k);\n", i, i, i, i)
	}
	for i := range 8 {
		for j := range 8 {
			fmt.Fprintf(&b, "    c%d_%d += dot(x%d, y%d);\n", i, j, i, j)
		}
	}
	b.WriteString("  }\n")
	// the stores in a loop over an array: one copy of the epilogue, not 64 (compile time)
	b.WriteString("  var acc: array<vec4<f32>, 16>;\n")
	for i := range 8 {
		for h := range 2 {
			fmt.Fprintf(&b, "  acc[%d] = vec4<f32>(c%d_%d, c%d_%d, c%d_%d, c%d_%d);\n", 2*i+h, i, 4*h, i, 4*h+1, i, 4*h+2, i, 4*h+3)
		}
	}
	fmt.Fprintf(&b, "  for (var e = 0u; e < 64u; e++) {\n    emit(cbase, rbase, m0 + %du * (e / 8u), n0 + %du * (e %% 8u), acc[e / 4u][e %% 4u]);\n  }\n", s, s)
	return strings.TrimSuffix(b.String(), "\n")
}

func (k MatMul) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[MatMulParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if p.Batch1 == 0 || p.Batch2 == 0 {
		return [3]uint32{}, fmt.Errorf("wgsl: matmul: zero batch (%d x %d)", p.Batch1, p.Batch2)
	}
	if k.Vec4 && !MatMulVec4Fits(p) {
		return [3]uint32{}, fmt.Errorf("wgsl: matmul: operands not in whole vec4s for the vec4 variant: %+v", p)
	}
	t := k.tile()
	return checkGrid(k.Family(), [3]uint32{ceilDiv(p.N, t), ceilDiv(p.M, t), p.Batch1 * p.Batch2})
}

func (k MatMul) FLOPs(pa any) float64 {
	p, _ := pa.(MatMulParams)
	return 2 * float64(p.M) * float64(p.N) * float64(p.K) * float64(p.Batch1*p.Batch2)
}

func (k MatMul) Ref(pa any, args []Mem) error {
	p, err := paramsAs[MatMulParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	a, b, c := args[0], args[1], args[len(args)-1]
	var bias, r Mem
	i := 2
	if k.Bias {
		bias, i = args[i], i+1
	}
	if k.Residual {
		r = args[i]
	}
	for z := range p.Batch1 * p.Batch2 {
		b1, b2 := z/p.Batch2, z%p.Batch2
		ab := p.AOff + b1*p.AB1 + b2*p.AB2
		bb := p.BOff + b1*p.BB1 + b2*p.BB2
		cb := p.COff + b1*p.CB1 + b2*p.CB2
		rb := p.ROff + b1*p.RB1 + b2*p.RB2
		for m := range p.M {
			for n := range p.N {
				var s float64
				for kk := range p.K {
					s += float64(a.F[ab+m*p.AM+kk*p.AK]) * float64(b.At(int(bb+n*p.BN+kk*p.BK)))
				}
				v := float64(p.Alpha) * s
				if k.Bias {
					v += float64(bias.F[p.BiasOff+n])
				}
				v = k.Act.Apply(v)
				if k.Residual {
					v += float64(r.F[rb+m*p.RM+n*p.RN])
				}
				c.F[cb+m*p.CM+n*p.CN] = float32(v * float64(p.OutScale))
			}
		}
	}
	return nil
}
