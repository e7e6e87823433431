//go:build js && wasm

package compute

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

func TestGroupNorm(t *testing.T) {
	cases := []struct {
		c, g, hw, batch uint32
		silu            bool
		eps             float32
		perThread       bool
	}{
		{c: 32, g: 32, hw: 1, batch: 1, eps: 1e-5},
		{c: 64, g: 32, hw: 77, batch: 2, silu: true, eps: 1e-5},
		{c: 6, g: 3, hw: 1000, batch: 1, eps: 1e-6},
		{c: 32, g: 1, hw: 33, batch: 3, silu: true, eps: 1e-6},
		{c: 1, g: 1, hw: 4097, batch: 1, eps: 1e-5},
		{c: 32, g: 32, hw: 1, batch: 1, eps: 1e-5, perThread: true},
		{c: 64, g: 32, hw: 77, batch: 2, silu: true, eps: 1e-5, perThread: true},
		{c: 6, g: 3, hw: 1000, batch: 3, eps: 1e-6, perThread: true},
		{c: 96, g: 32, hw: 65, batch: 1, silu: true, eps: 1e-6, perThread: true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("c=%d,groups=%d,hw=%d,batch=%d,eps=%g", c.c, c.g, c.hw, c.batch, c.eps)
		if c.silu {
			name += ",silu"
		}
		if c.perThread {
			name += ",group_per_thread"
		}
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			n := c.c * c.hw
			p := wgsl.GroupNormParams{C: c.c, HW: c.hw, Groups: c.g, Batch: c.batch, InOff: 2, InB: n,
				OutOff: 1, OutB: n, GammaOff: 1, BetaOff: 0, Eps: c.eps}
			in := randF(r, int(2+c.batch*n), 3)
			for i := range in.F {
				in.F[i] += 5 // an offset mean, where one-pass variance would lose digits
			}
			check(t, wgsl.GroupNorm{SiLU: c.silu, GroupPerThread: c.perThread}, p, []wgsl.Mem{in, randF(r, int(1+c.c), 1), randF(r, int(c.c), 1),
				randF(r, int(1+c.batch*n), 1)}, 1e-5)
		})
	}
}

func TestLayerNorm(t *testing.T) {
	for _, c := range []struct {
		rows, c   uint32
		perThread bool
	}{{1, 1, true}, {1, 1, false}, {77, 32, true}, {77, 32, false}, {130, 100, true}, {3, 1030, false}, {154, 1024, false}} {
		name := fmt.Sprintf("rows=%d,c=%d,row_per_thread=%v", c.rows, c.c, c.perThread)
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			p := wgsl.LayerNormParams{Rows: c.rows, C: c.c, InOff: 3, OutOff: 0, GammaOff: 0, BetaOff: 2, Eps: 1e-5}
			in := randF(r, int(3+c.rows*c.c), 2)
			check(t, wgsl.LayerNorm{RowPerThread: c.perThread}, p, []wgsl.Mem{in, randF(r, int(c.c), 1), randF(r, int(2+c.c), 1),
				randF(r, int(c.rows*c.c), 1)}, 1e-5)
		})
	}
}
