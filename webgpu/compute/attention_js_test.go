//go:build js && wasm

package compute

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

func TestAttention(t *testing.T) {
	cases := []struct {
		dh, heads, tq, tk, batch uint32
		causal, edit, packed     bool
	}{
		{dh: 16, heads: 2, tq: 256, tk: 256, batch: 2},
		{dh: 16, heads: 4, tq: 64, tk: 77, batch: 2, edit: true},
		{dh: 8, heads: 4, tq: 77, tk: 77, batch: 1, causal: true},
		{dh: 40, heads: 1, tq: 1, tk: 1, batch: 1},
		{dh: 64, heads: 2, tq: 65, tk: 3, batch: 1, packed: true},
		{dh: 160, heads: 1, tq: 100, tk: 77, batch: 2, edit: true},
		{dh: 64, heads: 3, tq: 77, tk: 77, batch: 2, causal: true, packed: true},
		{dh: 80, heads: 2, tq: 130, tk: 33, batch: 1},
	}
	for _, c := range cases {
		name := fmt.Sprintf("dh=%d,heads=%d,tq=%d,tk=%d,batch=%d", c.dh, c.heads, c.tq, c.tk, c.batch)
		for _, f := range []struct {
			on bool
			s  string
		}{{c.causal, "causal"}, {c.edit, "edit"}, {c.packed, "packed-qkv"}} {
			if f.on {
				name += "," + f.s
			}
		}
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			k, err := wgsl.NewAttention(int(c.dh), c.causal, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			cw := c.heads * c.dh
			p := wgsl.AttentionParams{Heads: c.heads, Tq: c.tq, Tk: c.tk, Dh: c.dh, Scale: 0.3, Batch: c.batch,
				QOff: 1, QB: c.tq * cw, QT: cw, KOff: 2, KB: c.tk * cw, KT: cw, VOff: 3, VB: c.tk * cw, VT: cw,
				OOff: 4, OB: c.tq * cw, OT: cw, WOff: 1, WQ: c.tk, EditBatch: c.batch - 1, CoefIdx: 1, StdIdx: 3}
			q, kk, v := randF(r, int(1+c.batch*c.tq*cw), 1), randF(r, int(2+c.batch*c.tk*cw), 1), randF(r, int(3+c.batch*c.tk*cw), 1)
			if c.packed {
				// q, k, v interleaved per token in one [batch, t, 3*cw] buffer (tq == tk here)
				all := randF(r, int(c.batch*c.tq*3*cw+3), 1)
				q, kk, v = all, all, all
				p.QOff, p.KOff, p.VOff = 0, cw, 2*cw
				p.QB, p.KB, p.VB = c.tq*3*cw, c.tq*3*cw, c.tq*3*cw
				p.QT, p.KT, p.VT = 3*cw, 3*cw, 3*cw
			}
			args := []wgsl.Mem{q, kk, v}
			if c.edit {
				w := randF(r, int(1+c.tq*c.tk), 1)
				for i := range w.F {
					switch i % 7 {
					case 2:
						w.F[i] = 2.5
					case 5:
						w.F[i] = -1e8
					default:
						w.F[i] = 0
					}
				}
				args = append(args, w, wgsl.Mem{F: []float32{0, 0.26, 0, 3.1}})
			}
			args = append(args, randF(r, int(4+c.batch*c.tq*cw), 1))
			checkVariants(t, k, p, args, 2e-6)
		})
	}
}

func TestScoreStats(t *testing.T) {
	for _, c := range []struct{ dh, heads, tq, tk, batch uint32 }{
		{16, 2, 256, 77, 1}, {8, 4, 1, 77, 0}, {40, 3, 65, 5, 1}, {64, 5, 300, 77, 1},
	} {
		name := fmt.Sprintf("dh=%d,heads=%d,tq=%d,tk=%d,batch=%d", c.dh, c.heads, c.tq, c.tk, c.batch)
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			cw := c.heads * c.dh
			nb := uint32(2)
			p := wgsl.ScoreStatsParams{Heads: c.heads, Tq: c.tq, Tk: c.tk, Dh: c.dh, QOff: 1, QB: c.tq * cw, QT: cw,
				KOff: 0, KB: c.tk * cw, KT: cw, Batch: c.batch, StdIdx: 2}
			p.NPart = p.Partials()
			q, kk := randF(r, int(1+nb*c.tq*cw), 1), randF(r, int(nb*c.tk*cw), 1)
			for i := range q.F {
				q.F[i] += 0.7 // scores with a non-zero mean
			}
			part := randF(r, int(3*p.NPart), 1)
			check(t, wgsl.ScoreStats{}, p, []wgsl.Mem{q, kk, part}, 1e-5)
			want := clone([]wgsl.Mem{q, kk, part})
			if err := (wgsl.ScoreStats{}).Ref(p, want); err != nil {
				t.Fatal(err)
			}
			check(t, wgsl.ScoreStats{Final: true}, p, []wgsl.Mem{want[2], {F: []float32{9, 9, 9, 9}}}, 1e-5)
		})
	}
}
