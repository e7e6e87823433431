package wgsl

import (
	"fmt"
	"math"
)

// GroupNorm is the group-normalisation family (groupnorm.wgsl), optionally fused with SiLU.
type GroupNorm struct {
	SiLU           bool
	GroupPerThread bool // one thread per (group, sample); else a workgroup each
}

// SmallGroup is the largest group (channels per group x pixels) GroupNorm handles one thread
// per group.
const SmallGroup = 4096

// GroupNormParams mirrors struct Params in groupnorm.wgsl (NCHW, per-sample strides InB/OutB).
type GroupNormParams struct {
	C, HW, Groups, Batch     uint32
	InOff, InB, OutOff, OutB uint32
	GammaOff, BetaOff        uint32
	Eps                      float32
}

func (GroupNorm) Family() string { return "groupnorm" }

func (GroupNorm) Bindings() []Binding {
	return []Binding{{Name: "src", Type: F32}, {Name: "gamma", Type: F32}, {Name: "beta", Type: F32},
		{Name: "dst", Type: F32, Write: true}}
}

func (k GroupNorm) Source() (string, error) {
	return Expand("groupnorm.wgsl", Defines{"SILU": k.SiLU, "GROUP_PER_THREAD": k.GroupPerThread, "WG": 64})
}

func (k GroupNorm) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[GroupNormParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if p.Groups == 0 || p.C%p.Groups != 0 {
		return [3]uint32{}, fmt.Errorf("wgsl: groupnorm: %d channels not divisible into %d groups", p.C, p.Groups)
	}
	if k.GroupPerThread {
		return checkGrid(k.Family(), [3]uint32{ceilDiv(p.Groups*p.Batch, 64), 1, 1})
	}
	return checkGrid(k.Family(), [3]uint32{p.Groups, p.Batch, 1})
}

func (GroupNorm) FLOPs(pa any) float64 {
	p, _ := pa.(GroupNormParams)
	return 8 * float64(p.C*p.HW*p.Batch)
}

func (k GroupNorm) Ref(pa any, args []Mem) error {
	p, err := paramsAs[GroupNormParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	src, gamma, beta, dst := args[0], args[1], args[2], args[3]
	cpg := p.C / p.Groups
	n := cpg * p.HW
	for b := range p.Batch {
		for g := range p.Groups {
			ib := p.InOff + b*p.InB + g*n
			ob := p.OutOff + b*p.OutB + g*n
			var s, q float64
			for i := range n {
				s += float64(src.F[ib+i])
			}
			mean := s / float64(n)
			for i := range n {
				d := float64(src.F[ib+i]) - mean
				q += d * d
			}
			rstd := 1 / math.Sqrt(q/float64(n)+float64(p.Eps))
			for i := range n {
				ch := g*cpg + i/p.HW
				y := (float64(src.F[ib+i])-mean)*rstd*float64(gamma.F[p.GammaOff+ch]) + float64(beta.F[p.BetaOff+ch])
				if k.SiLU {
					y = ActSiLU.Apply(y)
				}
				dst.F[ob+i] = float32(y)
			}
		}
	}
	return nil
}
