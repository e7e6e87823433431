//go:build js && wasm

package compute

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

func TestMatMul(t *testing.T) {
	type tc struct {
		m, n, k, b1, b2 uint32
		f16, bias, res  bool
		act             wgsl.Act
		nchw            bool // A read as an NCHW map: m = pixel, k = channel
		outScale        float32
		small           bool // 32x32 tiles
		wordB           bool // B starts on a word (even offset): f16 rows read a word at a time
		// vec4: A and B start on a multiple of 4 (with K one, every row does): the CPU variant
		// reads them as vec4s (wgsl.MatMulVec4Fits)
		vec4 bool
	}
	cases := []tc{
		{m: 1, n: 1, k: 1},
		{m: 3, n: 5, k: 7, bias: true},
		{m: 64, n: 64, k: 16},
		{m: 77, n: 320, k: 768, f16: true, bias: true},
		{m: 65, n: 130, k: 33, f16: true, bias: true, res: true, act: wgsl.ActGELU},
		{m: 129, n: 3, k: 100, act: wgsl.ActQuickGELU},
		{m: 2, n: 96, k: 32, bias: true, act: wgsl.ActSiLU, res: true, outScale: 0.5},
		{m: 35, n: 20, k: 12, nchw: true, bias: true},
		{m: 10, n: 9, k: 8, b1: 2, b2: 3},
		{m: 77, n: 77, k: 40, b1: 2, b2: 5, f16: true},
		{m: 1, n: 1, k: 1, small: true},
		{m: 512, n: 32, k: 32, bias: true, small: true},
		{m: 33, n: 65, k: 17, f16: true, bias: true, res: true, act: wgsl.ActGELU, small: true},
		{m: 35, n: 20, k: 12, nchw: true, bias: true, small: true},
		{m: 10, n: 9, k: 8, b1: 2, b2: 3, small: true},
		{m: 77, n: 320, k: 768, f16: true, bias: true, wordB: true},
		{m: 65, n: 130, k: 34, f16: true, bias: true, res: true, act: wgsl.ActGELU, wordB: true},
		{m: 77, n: 77, k: 40, b1: 2, b2: 5, f16: true, wordB: true},
		{m: 33, n: 65, k: 18, f16: true, bias: true, small: true, wordB: true},
		{m: 1, n: 1, k: 4, vec4: true},
		{m: 64, n: 96, k: 96, bias: true, vec4: true},
		{m: 77, n: 320, k: 768, f16: true, bias: true, vec4: true},
		{m: 65, n: 130, k: 36, f16: true, bias: true, res: true, act: wgsl.ActGELU, vec4: true},
		{m: 129, n: 67, k: 20, act: wgsl.ActSiLU, res: true, outScale: 0.5, vec4: true},
		{m: 77, n: 77, k: 40, b1: 2, b2: 5, f16: true, vec4: true},
		{m: 33, n: 65, k: 12, bias: true, small: true, vec4: true},
		{m: 10, n: 9, k: 8, b1: 2, b2: 3, small: true, f16: true, vec4: true},
	}
	for _, c := range cases {
		c.b1, c.b2 = max(c.b1, 1), max(c.b2, 1)
		if c.outScale == 0 {
			c.outScale = 1
		}
		name := fmt.Sprintf("m=%d,n=%d,k=%d", c.m, c.n, c.k)
		if c.b1*c.b2 > 1 {
			name += fmt.Sprintf(",batch=%dx%d", c.b1, c.b2)
		}
		for _, f := range []struct {
			on bool
			s  string
		}{{c.f16, "f16"}, {c.bias, "bias"}, {c.res, "residual"}, {c.nchw, "nchw"}, {c.act != wgsl.ActNone, c.act.String()}, {c.small, "tile=32"}, {c.wordB, "word-aligned"}, {c.vec4, "vec4-aligned"}} {
			if f.on {
				name += "," + f.s
			}
		}
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			k := wgsl.MatMul{BF16: c.f16, Bias: c.bias, Residual: c.res, Act: c.act, Small: c.small}
			nb := c.b1 * c.b2
			// A: [b1][b2][m][k] with a 5-element offset; B: [b1][b2][n][k]; C, R: [b1][b2][m][n]
			p := wgsl.MatMulParams{M: c.m, N: c.n, K: c.k, Batch1: c.b1, Batch2: c.b2,
				AOff: 5, AB2: c.m * c.k, AB1: c.b2 * c.m * c.k, AM: c.k, AK: 1,
				BOff: 3, BB2: c.n * c.k, BB1: c.b2 * c.n * c.k, BN: c.k, BK: 1,
				COff: 7, CB2: c.m * c.n, CB1: c.b2 * c.m * c.n, CM: c.n, CN: 1,
				ROff: 1, RB2: c.m * c.n, RB1: c.b2 * c.m * c.n, RM: c.n, RN: 1,
				BiasOff: 2, Alpha: 1, OutScale: c.outScale}
			if c.nchw {
				p.AM, p.AK = 1, c.m
			}
			if c.wordB {
				p.BOff = 4
			}
			if c.vec4 {
				p.AOff, p.BOff = 4, 8
			}
			if fits := wgsl.MatMulVec4Fits(p); fits != c.vec4 {
				t.Fatalf("MatMulVec4Fits = %v, want %v", fits, c.vec4)
			}
			args := []wgsl.Mem{randF(r, int(p.AOff+nb*c.m*c.k), 1), randW(r, int(p.BOff+nb*c.n*c.k), 0.1, c.f16)}
			if c.bias {
				args = append(args, randF(r, int(2+c.n), 1))
			}
			if c.res {
				args = append(args, randF(r, int(1+nb*c.m*c.n), 1))
			}
			args = append(args, randF(r, int(7+nb*c.m*c.n), 1))
			checkVariants(t, k, p, args, 2e-6)
		})
	}
}
