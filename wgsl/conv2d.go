package wgsl

import "fmt"

// Conv2D is the implicit-GEMM convolution family (conv2d.wgsl); it covers 3x3, strided, 1x1 and
// upsample-then-convolve, with bias, an optional per-sample bias (time embedding) and residual.
type Conv2D struct {
	WF16     bool // weights f16
	Bias2    bool // add bias2[b, co]
	Residual bool // add R (same layout as the output) before out_scale
	Upsample bool // read the input through a nearest 2x upsampling
	Small    bool // 32x32 tiles (64 threads); else 64x64 (256 threads)
	// Direct gathers the inputs in every thread, without workgroup memory or barriers: the
	// variant for CPU adapters (ForCPU). Same tiles, grid and results.
	Direct bool
	// Half reads f16 weights as WGSL's f16 (the device has shader-f16; WithHalf) instead of
	// unpacking u32 words. Same bytes, values and results.
	Half bool
}

// Conv2DParams mirrors struct Params in conv2d.wgsl. H, W are the stored input size (before the
// optional upsampling); OH, OW the output size; InB, OutB, RB the per-sample strides in elements.
type Conv2DParams struct {
	Cin, H, W, Cout, OH, OW        uint32
	KH, KW, Stride                 uint32
	PadT, PadL                     uint32
	InOff, InB, OutOff, OutB, WOff uint32
	BiasOff, Bias2Off, Bias2B      uint32
	ROff, RB                       uint32
	OutScale                       float32
	Batch                          uint32
}

func (Conv2D) Family() string { return "conv2d" }

func (k Conv2D) Bindings() []Binding {
	wt := F32
	if k.WF16 {
		wt = F16
	}
	b := []Binding{{Name: "src", Type: F32}, {Name: "w", Type: wt}, {Name: "bias", Type: F32}}
	if k.Bias2 {
		b = append(b, Binding{Name: "bias2", Type: F32})
	}
	if k.Residual {
		b = append(b, Binding{Name: "r", Type: F32})
	}
	return append(b, Binding{Name: "dst", Type: F32, Write: true})
}

func (k Conv2D) Source() (string, error) {
	r := 4
	if k.Bias2 {
		r++
	}
	out := r
	if k.Residual {
		out++
	}
	return expandHalf(k.WF16 && k.Half, "conv2d.wgsl", Defines{"W_F16": k.WF16, "W_HALF": k.WF16 && k.Half,
		"W_WORDS": k.WF16 && !k.Half, "BIAS2": k.Bias2, "RESIDUAL": k.Residual, "DIRECT": k.Direct,
		"UPSAMPLE": k.Upsample, "R_BINDING": r, "OUT_BINDING": out, "T": k.tile()})
}

func (k Conv2D) tile() uint32 {
	if k.Small {
		return 32
	}
	return 64
}

func (k Conv2D) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[Conv2DParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if p.Stride == 0 || p.KH == 0 || p.KW == 0 || p.Batch == 0 {
		return [3]uint32{}, fmt.Errorf("wgsl: conv2d: zero stride, kernel or batch in %+v", p)
	}
	t := k.tile()
	return checkGrid(k.Family(), [3]uint32{ceilDiv(p.OH*p.OW, t), ceilDiv(p.Cout, t), p.Batch})
}

func (k Conv2D) FLOPs(pa any) float64 {
	p, _ := pa.(Conv2DParams)
	return 2 * float64(p.Batch) * float64(p.Cout) * float64(p.OH*p.OW) * float64(p.Cin*p.KH*p.KW)
}

func (k Conv2D) Ref(pa any, args []Mem) error {
	p, err := paramsAs[Conv2DParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	src, w, bias, dst := args[0], args[1], args[2], args[len(args)-1]
	var bias2, r Mem
	i := 3
	if k.Bias2 {
		bias2, i = args[i], i+1
	}
	if k.Residual {
		r = args[i]
	}
	ih, iw := int(p.H), int(p.W)
	if k.Upsample {
		ih, iw = 2*ih, 2*iw
	}
	kdim := p.Cin * p.KH * p.KW
	npix := p.OH * p.OW
	for b := range p.Batch {
		ib := p.InOff + b*p.InB
		for co := range p.Cout {
			add := float64(bias.F[p.BiasOff+co])
			if k.Bias2 {
				add += float64(bias2.F[p.Bias2Off+b*p.Bias2B+co])
			}
			for oy := range p.OH {
				for ox := range p.OW {
					var s float64
					for ci := range p.Cin {
						for ky := range p.KH {
							iy := int(oy*p.Stride+ky) - int(p.PadT)
							if iy < 0 || iy >= ih {
								continue
							}
							for kx := range p.KW {
								ix := int(ox*p.Stride+kx) - int(p.PadL)
								if ix < 0 || ix >= iw {
									continue
								}
								sy, sx := iy, ix
								if k.Upsample {
									sy, sx = iy/2, ix/2
								}
								wv := w.At(int(p.WOff + co*kdim + (ci*p.KH+ky)*p.KW + kx))
								s += float64(wv) * float64(src.F[int(ib)+(int(ci)*int(p.H)+sy)*int(p.W)+sx])
							}
						}
					}
					n := oy*p.OW + ox
					v := s + add
					if k.Residual {
						v += float64(r.F[p.ROff+b*p.RB+co*npix+n])
					}
					dst.F[p.OutOff+b*p.OutB+co*npix+n] = float32(v * float64(p.OutScale))
				}
			}
		}
	}
	return nil
}
