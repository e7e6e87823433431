package wgsl

// Embed is the token + position embedding family (embed.wgsl).
type Embed struct {
	F16 bool // tables stored f16
	// Half reads f16 tables as WGSL's f16 (the device has shader-f16; WithHalf).
	Half bool
}

// EmbedParams mirrors struct Params in embed.wgsl. Ids past the vocabulary clamp to the last
// entry (the caller validates ids; the clamp only keeps a bad id from reading out of bounds).
type EmbedParams struct {
	Rows, T, D, Vocab, IdsOff, OutOff uint32
}

func (Embed) Family() string { return "embed" }

func (k Embed) Bindings() []Binding {
	t := F32
	if k.F16 {
		t = F16
	}
	return []Binding{{Name: "ids", Type: U32}, {Name: "tok", Type: t}, {Name: "pos", Type: t},
		{Name: "o", Type: F32, Write: true}}
}

func (k Embed) Source() (string, error) {
	return expandHalf(k.F16 && k.Half, "embed.wgsl", Defines{"F16": k.F16, "HALF": k.F16 && k.Half})
}

func (k Embed) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[EmbedParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return grid1(ceilDiv(p.Rows*p.D, 256)), nil
}

func (Embed) FLOPs(pa any) float64 {
	p, _ := pa.(EmbedParams)
	return float64(p.Rows * p.D)
}

func (k Embed) Ref(pa any, args []Mem) error {
	p, err := paramsAs[EmbedParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	for r := range p.Rows {
		id := min(args[0].U[p.IdsOff+r], p.Vocab-1)
		for j := range p.D {
			args[3].F[p.OutOff+r*p.D+j] = args[1].At(int(id*p.D+j)) + args[2].At(int((r%p.T)*p.D+j))
		}
	}
	return nil
}
