package wgsl

import (
	"fmt"
	"strings"
)

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
	// Vec4 (with Direct, for CPU adapters) is the same-size 3x3 convolution read in vec4s of
	// four pixels of a row: per input row and channel three vec4 loads serve the three kernel
	// columns of four outputs, and each thread keeps 8 channels x 2 such groups in vec4
	// registers, in workgroups of T/8 x T/8 threads (same tiles, grid and results). Only for
	// params that Conv2DVec4Fits; ForCPU picks it where they do.
	Vec4 bool
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
	if k.Vec4 && (!k.Direct || k.Upsample) {
		return "", fmt.Errorf("wgsl: conv2d: the vec4 variant is a direct one without upsampling: %+v", k)
	}
	wg := k.tile() / 4
	if k.Vec4 {
		wg = k.tile() / 8
	}
	return expandHalf(k.WF16 && k.Half, "conv2d.wgsl", Defines{"W_F16": k.WF16, "W_HALF": k.WF16 && k.Half,
		"W_WORDS": k.WF16 && !k.Half, "BIAS2": k.Bias2, "RESIDUAL": k.Residual, "DIRECT": k.Direct,
		"VEC4": k.Vec4, "VEC4_BLOCK": convVec4Block(wg), "WG": wg,
		"UPSAMPLE": k.Upsample, "R_BINDING": r, "OUT_BINDING": out, "T": k.tile()})
}

// Conv2DVec4Fits reports whether a convolution can run as the Vec4 variant: 3x3, stride 1,
// padding 1 (output the input's size), rows a multiple of 4 wide and the input starting on a
// multiple of 4, so that four pixels of a row are one aligned vec4. Upsampling convolutions
// keep the scalar variant.
func Conv2DVec4Fits(p Conv2DParams, upsample bool) bool {
	return !upsample && p.KH == 3 && p.KW == 3 && p.Stride == 1 && p.PadT == 1 && p.PadL == 1 &&
		p.OH == p.H && p.OW == p.W && p.W%4 == 0 && p.InOff%4 == 0 && p.InB%4 == 0
}

// convVec4Block is the Vec4 variant's loop and stores for threads s apart: channels m0 + s*i
// (i < 8, weight rows wr{i}) and pixel groups g{j} = n0 + 4*lid.x + 4*s*j (j < 2), sums in
// vec4s c{i}_{j} (one lane per pixel), written out as named variables because a CPU adapter
// keeps arrays indexed in loops in memory.
func convVec4Block(s uint32) string {
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "  let wr%d = p.w_off + min(m0 + %du, p.cout - 1u) * kdim;\n", i, s*uint32(i))
	}
	for j := range 2 {
		fmt.Fprintf(&b, "  let q%d = pixel_group(n0 + 4u * (lid.x + %du));\n", j, s*uint32(j))
		for i := range 8 {
			fmt.Fprintf(&b, "  var c%d_%d = vec4<f32>();\n", i, j)
		}
	}
	b.WriteString("  for (var ky = 0u; ky < 3u; ky++) {\n")
	for j := range 2 {
		fmt.Fprintf(&b, "    let r%d = input_row(q%d, ky, base4);\n", j, j)
	}
	b.WriteString("    var wi = ky * 3u;\n    for (var ci = 0u; ci < p.cin; ci++) {\n      let cb = ci * plane4;\n")
	for j := range 2 {
		// the row's vec4 before, at and after the group, zero outside the input
		fmt.Fprintf(&b, "      let v%d = r%d.keep * src[r%d.at + cb];\n", j, j, j)
		fmt.Fprintf(&b, "      let p%d = r%d.prev * src[r%d.before + cb].w;\n", j, j, j)
		fmt.Fprintf(&b, "      let n%d = r%d.next * src[r%d.after + cb].x;\n", j, j, j)
		fmt.Fprintf(&b, "      let sl%d = vec4<f32>(p%d, v%d.xyz);\n      let sr%d = vec4<f32>(v%d.yzw, n%d);\n", j, j, j, j, j, j)
	}
	for i := range 8 {
		fmt.Fprintf(&b, "      let w%d = vec3<f32>(load_w(wr%d + wi), load_w(wr%d + wi + 1u), load_w(wr%d + wi + 2u));\n", i, i, i, i)
		for j := range 2 {
			fmt.Fprintf(&b, "      c%d_%d += w%d.x * sl%d + w%d.y * v%d + w%d.z * sr%d;\n", i, j, i, j, i, j, i, j)
		}
	}
	b.WriteString("      wi += 9u;\n    }\n  }\n")
	for i := range 8 {
		for j := range 2 {
			fmt.Fprintf(&b, "  emit4(b, m0 + %du, q%d, c%d_%d);\n", s*uint32(i), j, i, j)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
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
	if k.Vec4 && !Conv2DVec4Fits(p, k.Upsample) {
		return [3]uint32{}, fmt.Errorf("wgsl: conv2d: params do not fit the vec4 variant: %+v", p)
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
