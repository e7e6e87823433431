package wgsl

import "math"

// Pixels is the family converting decoder output to packed RGBA8 (pixels.wgsl).
type Pixels struct{}

// PixelsParams mirrors struct Params in pixels.wgsl.
type PixelsParams struct {
	HW, InOff, OutOff uint32
}

func (Pixels) Family() string { return "pixels" }

func (Pixels) Bindings() []Binding {
	return []Binding{{Name: "src", Type: F32}, {Name: "o", Type: U32, Write: true}}
}

func (Pixels) Source() (string, error) { return Expand("pixels.wgsl", Defines{}) }

func (k Pixels) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[PixelsParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return grid1(ceilDiv(p.HW, 256)), nil
}

func (Pixels) FLOPs(pa any) float64 {
	p, _ := pa.(PixelsParams)
	return 3 * float64(p.HW)
}

// Level is the 8-bit level of one decoder value, computed in float32 as PyTorch and numpy do in
// diffusers' numpy_to_pil, rounding half to even like numpy's round and WGSL's round.
func Level(x float32) uint8 {
	v := min(max(x/2+0.5, 0), 1) * 255
	return uint8(math.RoundToEven(float64(v)))
}

func (k Pixels) Ref(pa any, args []Mem) error {
	p, err := paramsAs[PixelsParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	src := args[0].F
	for i := range p.HW {
		r := uint32(Level(src[p.InOff+i]))
		g := uint32(Level(src[p.InOff+p.HW+i]))
		b := uint32(Level(src[p.InOff+2*p.HW+i]))
		args[1].U[p.OutOff+i] = r | g<<8 | b<<16 | 255<<24
	}
	return nil
}
