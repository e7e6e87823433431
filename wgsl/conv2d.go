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
	// Vec4 reads the weights four K at a time. With Direct (for CPU adapters) it is the
	// same-size 3x3 convolution read in vec4s: of the input, four pixels of a row, the vec4 and
	// its neighbours' edge values serving the three kernel columns; of the weights, four K at a
	// time. Each thread sums 4 channels x 4 rows x 4 pixels; one-dimensional workgroups of
	// Vec4Group threads, its own grid (Grid); only for params that Conv2DVec4Fits (ForCPU).
	// Tiled (for GPUs, ForGPU) it stages the weight tiles a vec4 per load where every weight row
	// is a run of whole vec4s; same tiles and grid.
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
	if k.Vec4 && k.Direct && k.Upsample {
		return "", fmt.Errorf("wgsl: conv2d: the direct vec4 variant does not upsample: %+v", k)
	}
	wx, wy, block := k.tile()/4, k.tile()/4, ""
	if k.Vec4 && k.Direct {
		wx, wy, block = Vec4Group, 1, convVec4Block()
	}
	return expandHalf(k.WF16 && k.Half, "conv2d.wgsl", Defines{"W": "wt", "W_F16": k.WF16, "W_HALF": k.WF16 && k.Half,
		"W_WORDS": k.WF16 && !k.Half, "BIAS2": k.Bias2, "RESIDUAL": k.Residual, "DIRECT": k.Direct,
		"VEC4": k.Vec4, "VEC4_DIRECT": k.Vec4 && k.Direct, "VEC4_BLOCK": block, "CO": vec4Co, "ROWS": vec4Rows, "WG_X": wx, "WG_Y": wy,
		"UPSAMPLE": k.Upsample, "R_BINDING": r, "OUT_BINDING": out, "T": k.tile()})
}

// Conv2DVec4Fits reports whether a convolution can run as the Vec4 variant: 3x3, stride 1,
// padding 1 (output the input's size), rows a multiple of 4 wide, input channels a multiple of 4,
// and the input and weights starting on a multiple of 4, so that four pixels of a row, and four
// K of a weight row, are each one aligned vec4; and its threads fit one grid dimension.
// Upsampling convolutions keep the scalar variant.
func Conv2DVec4Fits(p Conv2DParams, upsample bool) bool {
	return !upsample && p.KH == 3 && p.KW == 3 && p.Stride == 1 && p.PadT == 1 && p.PadL == 1 &&
		p.OH == p.H && p.OW == p.W && p.W%4 == 0 && p.Cin%4 == 0 && p.InOff%4 == 0 && p.InB%4 == 0 &&
		p.WOff%4 == 0 && vec4Threads(p) <= uint64(MaxGroups)*Vec4Group
}

// conv2DWeightsVec4 reports whether every weight row (Cin*KH*KW values) is a run of whole vec4s:
// what the tiled Vec4 variant (ForGPU) needs to stage its weight tiles a vec4 per load.
func conv2DWeightsVec4(p Conv2DParams) bool { return (p.Cin*p.KH*p.KW)%4 == 0 && p.WOff%4 == 0 }

// Vec4Group is the number of threads in a workgroup of the Vec4 convolution: a CPU adapter runs
// a workgroup on one core, and small groups split small problems evenly between cores.
const Vec4Group = 8

// The Vec4 convolution's block per thread: vec4Co channels x vec4Rows rows x 4 pixels. Eight
// channels ran no faster on llvmpipe, slower on SwiftShader, and doubled the kernel's code,
// which SwiftShader compiles for about 1.5 s per variant.
const (
	vec4Co   = 4
	vec4Rows = 4
)

// vec4Threads is the Vec4 convolution's thread count: one per batch, channel group, row block
// and vec4 of a row.
func vec4Threads(p Conv2DParams) uint64 {
	return uint64(p.Batch) * uint64(ceilDiv(p.Cout, vec4Co)) * uint64(ceilDiv(p.OH, vec4Rows)) * uint64(p.W/4)
}

// convVec4Block is the Vec4 variant's loop and stores. Per input channel ci (four per weight
// load) it reads input rows oy0-1..oy0+4 at the thread's vec4 column (v{r}) and the edge values
// beside it, shifted into sl{r} and sr{r} (the kernel's left and right columns); per channel i,
// the three weight vec4s that hold ci's nine taps (w{i}_{0..2}); and adds the nine taps of each
// sum c{i}_{y} (channel co0 + i, output row oy0 + y) in one statement. Named variables, not
// arrays: a CPU adapter keeps arrays indexed in loops in memory.
func convVec4Block() string {
	var b strings.Builder
	for i := range vec4Co {
		fmt.Fprintf(&b, "  let wr%d = (p.w_off + min(co0 + %du, p.cout - 1u) * kdim) / 4u;\n", i, i)
		for y := range vec4Rows {
			fmt.Fprintf(&b, "  var c%d_%d = vec4<f32>();\n", i, y)
		}
	}
	for r := range vec4Rows + 2 {
		fmt.Fprintf(&b, "  let row%d = input_row(i32(oy0) + %d, col);\n", r, r-1)
	}
	b.WriteString("  for (var c4 = 0u; c4 < p.cin; c4 += 4u) {\n    let wb = c4 * 9u / 4u;\n")
	for l := range 4 {
		fmt.Fprintf(&b, "    {\n      let cb = (c4 + %du) * plane4;\n", l)
		for r := range vec4Rows + 2 {
			fmt.Fprintf(&b, "      let v%d = row%d.keep * src[cb + row%d.at];\n", r, r, r)
			fmt.Fprintf(&b, "      let sl%d = vec4<f32>(row%d.prev * src[cb + row%d.before].w, v%d.xyz);\n", r, r, r, r)
			fmt.Fprintf(&b, "      let sr%d = vec4<f32>(v%d.yzw, row%d.next * src[cb + row%d.after].x);\n", r, r, r, r)
		}
		// channel l's taps are K offsets 9l..9l+8 of the block: vec4s first..first+2
		first := 9 * l / 4
		for i := range vec4Co {
			for q := range 3 {
				fmt.Fprintf(&b, "      let w%d_%d = load_w4(wr%d + wb + %du);\n", i, q, i, first+q)
			}
			for y := range vec4Rows {
				terms := make([]string, 9)
				for t := range 9 {
					o := 9*l + t - 4*first
					tap := fmt.Sprintf("w%d_%d.%c", i, o/4, "xyzw"[o%4])
					in := []string{"sl", "v", "sr"}[t%3]
					terms[t] = fmt.Sprintf("%s * %s%d", tap, in, y+t/3)
				}
				fmt.Fprintf(&b, "      c%d_%d += %s;\n", i, y, strings.Join(terms, " + "))
			}
		}
		b.WriteString("    }\n")
	}
	b.WriteString("  }\n  if (!live) { return; }\n")
	// the stores in a loop over an array: one copy of the epilogue, not 128 (compile time)
	fmt.Fprintf(&b, "  var acc: array<vec4<f32>, %d>;\n", vec4Co*vec4Rows)
	for i := range vec4Co {
		for y := range vec4Rows {
			fmt.Fprintf(&b, "  acc[%d] = c%d_%d;\n", i*vec4Rows+y, i, y)
		}
	}
	fmt.Fprintf(&b, "  for (var e = 0u; e < %du; e++) {\n    emit4(b, co0 + e / %du, (oy0 + e %% %du) * p.ow + 4u * col, acc[e]);\n  }\n",
		vec4Co*vec4Rows, vec4Rows, vec4Rows)
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
	if k.Vec4 && k.Direct {
		if !Conv2DVec4Fits(p, k.Upsample) {
			return [3]uint32{}, fmt.Errorf("wgsl: conv2d: params do not fit the vec4 variant: %+v", p)
		}
		return checkGrid(k.Family(), [3]uint32{uint32((vec4Threads(p) + Vec4Group - 1) / Vec4Group), 1, 1})
	}
	if k.Vec4 && !conv2DWeightsVec4(p) {
		return [3]uint32{}, fmt.Errorf("wgsl: conv2d: weight rows are not runs of whole vec4s: %+v", p)
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
