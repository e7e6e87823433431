package wgsl

import (
	"fmt"
	"math"
)

// ScoreStats is the family computing the unbiased std of one layer's raw attention scores
// (scorestats.wgsl): Final=false writes per-workgroup partials, Final=true merges them.
type ScoreStats struct {
	Final bool
}

// ScoreStatsParams mirrors struct Params in scorestats.wgsl (shared by both variants).
type ScoreStatsParams struct {
	Heads, Tq, Tk, Dh    uint32
	QOff, QB, QT         uint32
	KOff, KB, KT         uint32
	Batch, NPart, StdIdx uint32
}

// Partials is the number of partial statistics (3 floats each) the first pass writes.
func (p ScoreStatsParams) Partials() uint32 { return ceilDiv(p.Tq, 64) * p.Heads }

func (ScoreStats) Family() string { return "scorestats" }

func (k ScoreStats) Bindings() []Binding {
	if k.Final {
		return []Binding{{Name: "part", Type: F32}, {Name: "scal", Type: F32, Write: true}}
	}
	return []Binding{{Name: "q", Type: F32}, {Name: "k", Type: F32}, {Name: "part", Type: F32, Write: true}}
}

func (k ScoreStats) Source() (string, error) {
	return Expand("scorestats.wgsl", Defines{"FINAL": k.Final})
}

func (k ScoreStats) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[ScoreStatsParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if k.Final {
		return [3]uint32{1, 1, 1}, nil
	}
	return checkGrid(k.Family(), [3]uint32{ceilDiv(p.Tq, 64), p.Heads, 1})
}

func (k ScoreStats) FLOPs(pa any) float64 {
	p, _ := pa.(ScoreStatsParams)
	if k.Final {
		return 0
	}
	return 2 * float64(p.Heads) * float64(p.Tq) * float64(p.Tk) * float64(p.Dh)
}

func (k ScoreStats) Ref(pa any, args []Mem) error {
	p, err := paramsAs[ScoreStatsParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	if k.Final {
		var n, mean, m2 float64
		for i := range p.NPart {
			nb, mb, m2b := float64(args[0].F[3*i]), float64(args[0].F[3*i+1]), float64(args[0].F[3*i+2])
			if nb == 0 {
				continue
			}
			t := n + nb
			d := mb - mean
			mean += d * nb / t
			m2 += m2b + d*d*n*nb/t
			n = t
		}
		if n < 2 {
			return fmt.Errorf("wgsl: scorestats: %v scores, need 2 for an unbiased std", n)
		}
		args[1].F[p.StdIdx] = float32(math.Sqrt(m2 / (n - 1)))
		return nil
	}
	q, kk, part := args[0], args[1], args[2]
	tiles := ceilDiv(p.Tq, 64)
	for h := range p.Heads {
		for t := range tiles {
			var n, mean, m2 float64
			for qi := t * 64; qi < min(p.Tq, t*64+64); qi++ {
				qb := p.QOff + p.Batch*p.QB + qi*p.QT + h*p.Dh
				for j := range p.Tk {
					kb := p.KOff + p.Batch*p.KB + j*p.KT + h*p.Dh
					var s float64
					for d := range p.Dh {
						s += float64(q.F[qb+d]) * float64(kk.F[kb+d])
					}
					n++
					d := s - mean
					mean += d / n
					m2 += d * (s - mean)
				}
			}
			slot := t + h*tiles
			part.F[3*slot], part.F[3*slot+1], part.F[3*slot+2] = float32(n), float32(mean), float32(m2)
		}
	}
	return nil
}
