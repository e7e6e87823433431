package wgsl

import "math"

// LayerNorm is the layer-normalisation family (layernorm.wgsl) over rows of a row-major matrix.
type LayerNorm struct {
	RowPerThread bool // one thread per row (narrow rows); else a workgroup per row
}

// NarrowRow is the widest row LayerNorm handles one thread per row.
const NarrowRow = 128

// LayerNormParams mirrors struct Params in layernorm.wgsl.
type LayerNormParams struct {
	Rows, C, InOff, OutOff uint32
	GammaOff, BetaOff      uint32
	Eps                    float32
}

func (LayerNorm) Family() string { return "layernorm" }

func (LayerNorm) Bindings() []Binding {
	return []Binding{{Name: "src", Type: F32}, {Name: "gamma", Type: F32}, {Name: "beta", Type: F32},
		{Name: "dst", Type: F32, Write: true}}
}

func (k LayerNorm) Source() (string, error) {
	return Expand("layernorm.wgsl", Defines{"ROW_PER_THREAD": k.RowPerThread, "WG": 128})
}

func (k LayerNorm) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[LayerNormParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if k.RowPerThread {
		return grid1(ceilDiv(p.Rows, 64)), nil
	}
	return grid1(p.Rows), nil
}

func (LayerNorm) FLOPs(pa any) float64 {
	p, _ := pa.(LayerNormParams)
	return 8 * float64(p.Rows*p.C)
}

func (k LayerNorm) Ref(pa any, args []Mem) error {
	p, err := paramsAs[LayerNormParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	src, gamma, beta, dst := args[0], args[1], args[2], args[3]
	for r := range p.Rows {
		ib, ob := p.InOff+r*p.C, p.OutOff+r*p.C
		var s, q float64
		for i := range p.C {
			s += float64(src.F[ib+i])
		}
		mean := s / float64(p.C)
		for i := range p.C {
			d := float64(src.F[ib+i]) - mean
			q += d * d
		}
		rstd := 1 / math.Sqrt(q/float64(p.C)+float64(p.Eps))
		for i := range p.C {
			dst.F[ob+i] = float32((float64(src.F[ib+i])-mean)*rstd*float64(gamma.F[p.GammaOff+i]) + float64(beta.F[p.BetaOff+i]))
		}
	}
	return nil
}
