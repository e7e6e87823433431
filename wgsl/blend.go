package wgsl

// Blend is the tile-blending family of the tiled VAE decode (blend.wgsl).
type Blend struct{}

// BlendParams mirrors struct Params in blend.wgsl (sizes and positions in pixels).
type BlendParams struct {
	C, TH, TW, H, W, Y0, X0    uint32
	RampT, RampB, RampL, RampR uint32
	TileOff, OutOff            uint32
}

func (Blend) Family() string { return "blend" }

func (Blend) Bindings() []Binding {
	return []Binding{{Name: "tile", Type: F32}, {Name: "img", Type: F32, Write: true}}
}

func (Blend) Source() (string, error) { return Expand("blend.wgsl", Defines{}) }

func (k Blend) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[BlendParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return grid1(ceilDiv(p.C*p.TH*p.TW, 256)), nil
}

func (Blend) FLOPs(pa any) float64 {
	p, _ := pa.(BlendParams)
	return 3 * float64(p.C*p.TH*p.TW)
}

// rampRef is the float32 weight blend.wgsl computes.
func rampRef(i, n, lo, hi uint32) float32 {
	if i < lo {
		return (float32(i) + 0.5) / float32(lo)
	}
	if i+hi >= n {
		return (float32(n-i) - 0.5) / float32(hi)
	}
	return 1
}

func (k Blend) Ref(pa any, args []Mem) error {
	p, err := paramsAs[BlendParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	tile, img := args[0].F, args[1].F
	for ch := range p.C {
		for y := range p.TH {
			for x := range p.TW {
				w := rampRef(y, p.TH, p.RampT, p.RampB) * rampRef(x, p.TW, p.RampL, p.RampR)
				o := p.OutOff + ch*p.H*p.W + (p.Y0+y)*p.W + p.X0 + x
				img[o] += w * tile[p.TileOff+(ch*p.TH+y)*p.TW+x]
			}
		}
	}
	return nil
}
