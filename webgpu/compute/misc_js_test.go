//go:build js && wasm

package compute

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

func TestSoftmax(t *testing.T) {
	for _, c := range []struct{ rows, cols uint32 }{{3, 1}, {77, 77}, {5, 300}, {1, 4097}} {
		name := fmt.Sprintf("rows=%d,cols=%d", c.rows, c.cols)
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			p := wgsl.SoftmaxParams{Rows: c.rows, Cols: c.cols, Off: 2, RowStride: c.cols + 1}
			check(t, wgsl.Softmax{}, p, []wgsl.Mem{randF(r, int(2+c.rows*(c.cols+1)), 4)}, 1e-6)
		})
	}
}

func TestEltwise(t *testing.T) {
	for _, c := range []struct {
		op    wgsl.EltOp
		act   wgsl.Act
		n     uint32
		inner uint32
	}{
		{op: wgsl.EltAdd, n: 1}, {op: wgsl.EltAdd, n: 1000},
		{op: wgsl.EltGEGLU, n: 3 * 5, inner: 5}, {op: wgsl.EltGEGLU, n: 77 * 1280, inner: 1280},
		{op: wgsl.EltAct, act: wgsl.ActSiLU, n: 2 * 1280}, {op: wgsl.EltAct, act: wgsl.ActGELU, n: 333},
		{op: wgsl.EltAct, act: wgsl.ActQuickGELU, n: 333},
		{op: wgsl.EltCFG, n: 4 * 16 * 16}, {op: wgsl.EltScale, n: 7}, {op: wgsl.EltCFGScalar, n: 4 * 16 * 16},
		// more than 65535 workgroups: the grid spills into y
		{op: wgsl.EltScale, n: 65535*256 + 300},
	} {
		name := fmt.Sprintf("op=%d,act=%s,n=%d,inner=%d", c.op, c.act, c.n, c.inner)
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			k := wgsl.Eltwise{Op: c.op, Act: c.act}
			p := wgsl.EltwiseParams{N: c.n, Inner: c.inner, XOff: 1, YOff: 2, OutOff: 3, S: 7.5}
			xn := 1 + c.n
			if c.op == wgsl.EltGEGLU || c.op == wgsl.EltCFG || c.op == wgsl.EltCFGScalar {
				xn = 1 + 2*c.n
			}
			args := []wgsl.Mem{randF(r, int(xn), 2)}
			if c.op == wgsl.EltAdd || c.op == wgsl.EltCFGScalar {
				args = append(args, randF(r, int(2+c.n), 2))
			}
			args = append(args, randF(r, int(3+c.n), 1))
			check(t, k, p, args, 1e-6)
		})
	}
}

func TestConcat(t *testing.T) {
	r := rng("concat")
	// two inputs into [2, 7, 5]: channels [0,2) from a, [2,7) from b
	dst := randF(r, 2*7*5+1, 1)
	a, b := randF(r, 2*2*5, 1), randF(r, 2*5*5+3, 1)
	check(t, wgsl.Concat{}, wgsl.ConcatParams{N: 2 * 2 * 5, CsHW: 10, CdHW: 35, SrcOff: 0, DstOff: 1}, []wgsl.Mem{a, dst}, 0)
	check(t, wgsl.Concat{}, wgsl.ConcatParams{N: 2 * 5 * 5, CsHW: 25, CdHW: 35, SrcOff: 3, DstOff: 1 + 10}, []wgsl.Mem{b, dst}, 0)
}

func TestEmbed(t *testing.T) {
	for _, f16 := range []bool{false, true} {
		name := fmt.Sprintf("rows=154,t=77,d=32,vocab=50,f16=%v", f16)
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			ids := make([]uint32, 154+1)
			for i := range ids {
				ids[i] = uint32(r.IntN(50))
			}
			ids[7] = 1000 // out of range: clamps
			p := wgsl.EmbedParams{Rows: 154, T: 77, D: 32, Vocab: 50, IdsOff: 1, OutOff: 0}
			check(t, wgsl.Embed{F16: f16}, p, []wgsl.Mem{{U: ids}, randW(r, 50*32, 1, f16), randW(r, 77*32, 1, f16),
				randF(r, 154*32, 1)}, 0)
		})
	}
}

func TestPixels(t *testing.T) {
	r := rng("pixels")
	src := randF(r, 3*100+1, 1)
	// exact level boundaries and out-of-range values
	copy(src.F[1:], []float32{-1, 1, 0, -1.5, 2, 1.0 / 255, -1.0 / 255, 3.0 / 255})
	check(t, wgsl.Pixels{}, wgsl.PixelsParams{HW: 100, InOff: 1, OutOff: 0}, []wgsl.Mem{src, {U: make([]uint32, 100)}}, 0)
}

func TestBlend(t *testing.T) {
	r := rng("blend")
	// a 5x7 tile at (2, 3) of a 9x12 image, ramps on all sides
	img := randF(r, 2+3*9*12, 1)
	p := wgsl.BlendParams{C: 3, TH: 5, TW: 7, H: 9, W: 12, Y0: 2, X0: 3, RampT: 2, RampB: 1, RampL: 3, RampR: 2, TileOff: 1, OutOff: 2}
	check(t, wgsl.Blend{}, p, []wgsl.Mem{randF(r, 1+3*5*7, 1), img}, 1e-6)
}
