package wgsl

// Concat is the channel-concatenation family (concat.wgsl): one input per dispatch.
type Concat struct{}

// ConcatParams mirrors struct Params in concat.wgsl: N = batch*cs*hw elements of the source,
// CsHW and CdHW the per-sample sizes of source and destination, DstOff including c_at*hw.
type ConcatParams struct {
	N, CsHW, CdHW, SrcOff, DstOff uint32
}

func (Concat) Family() string { return "concat" }

func (Concat) Bindings() []Binding {
	return []Binding{{Name: "src", Type: F32}, {Name: "dst", Type: F32, Write: true}}
}

func (Concat) Source() (string, error) { return Expand("concat.wgsl", Defines{}) }

func (k Concat) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[ConcatParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return grid1(ceilDiv(p.N, 256)), nil
}

func (Concat) FLOPs(any) float64 { return 0 }

func (k Concat) Ref(pa any, args []Mem) error {
	p, err := paramsAs[ConcatParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	for i := range p.N {
		args[1].F[p.DstOff+(i/p.CsHW)*p.CdHW+i%p.CsHW] = args[0].F[p.SrcOff+i]
	}
	return nil
}
