//go:build js && wasm

package compute

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

func TestConv2D(t *testing.T) {
	type tc struct {
		cin, cout, h, w, k, stride, padT, padL, batch uint32
		oh, ow                                        uint32 // 0: from symmetric padding
		f16, bias2, res, up                           bool
		outScale                                      float32
		small                                         bool // 32x32 tiles
		// vec4: the input and weights start on a multiple of 4, so a same-size 3x3 over rows a
		// multiple of 4 wide and input channels a multiple of 4 runs as the CPU adapters' vec4
		// variant (wgsl.Conv2DVec4Fits)
		vec4 bool
	}
	cases := []tc{
		{cin: 4, cout: 32, h: 16, w: 16, k: 3, padT: 1, padL: 1},
		{cin: 3, cout: 5, h: 7, w: 9, k: 3, padT: 1, padL: 1, f16: true},
		{cin: 8, cout: 8, h: 9, w: 9, k: 3, stride: 2, padT: 1, padL: 1},
		// the VAE encoder's downsample: pad (0,1,0,1) then a stride-2 3x3 without padding
		{cin: 3, cout: 4, h: 8, w: 8, k: 3, stride: 2, oh: 4, ow: 4},
		{cin: 65, cout: 3, h: 5, w: 5, k: 1, batch: 2},
		{cin: 5, cout: 7, h: 4, w: 3, k: 3, padT: 1, padL: 1, batch: 2, up: true},
		{cin: 1, cout: 1, h: 1, w: 1, k: 3, padT: 1, padL: 1, batch: 2, bias2: true, res: true},
		{cin: 70, cout: 66, h: 12, w: 11, k: 3, padT: 1, padL: 1, f16: true, res: true, bias2: true, outScale: 0.5},
		{cin: 4, cout: 64, h: 77, w: 3, k: 3, padT: 1, padL: 1, f16: true},
		{cin: 3, cout: 5, h: 7, w: 9, k: 3, padT: 1, padL: 1, f16: true, small: true},
		{cin: 3, cout: 4, h: 8, w: 8, k: 3, stride: 2, oh: 4, ow: 4, small: true},
		{cin: 5, cout: 7, h: 4, w: 3, k: 3, padT: 1, padL: 1, batch: 2, up: true, small: true},
		{cin: 70, cout: 66, h: 12, w: 11, k: 3, padT: 1, padL: 1, f16: true, res: true, bias2: true, outScale: 0.5, small: true},
		{cin: 65, cout: 3, h: 5, w: 5, k: 1, batch: 2, small: true},
		{cin: 48, cout: 48, h: 8, w: 8, k: 3, padT: 1, padL: 1, batch: 2, vec4: true},
		{cin: 96, cout: 96, h: 4, w: 4, k: 3, padT: 1, padL: 1, batch: 2, bias2: true, res: true, small: true, vec4: true},
		{cin: 8, cout: 70, h: 5, w: 12, k: 3, padT: 1, padL: 1, f16: true, res: true, outScale: 0.5, vec4: true},
		{cin: 4, cout: 5, h: 1, w: 4, k: 3, padT: 1, padL: 1, f16: true, bias2: true, small: true, vec4: true},
		{cin: 12, cout: 9, h: 9, w: 20, k: 3, padT: 1, padL: 1, batch: 3, small: true, vec4: true},
		{cin: 16, cout: 3, h: 16, w: 16, k: 3, padT: 1, padL: 1, f16: true, vec4: true},
		// aligned, but 7 input channels, strided or upsampled: the scalar variant
		{cin: 7, cout: 9, h: 4, w: 8, k: 3, padT: 1, padL: 1, small: true, vec4: true},
		{cin: 8, cout: 8, h: 8, w: 8, k: 3, stride: 2, padT: 1, padL: 1, small: true, vec4: true},
		{cin: 4, cout: 7, h: 4, w: 4, k: 3, padT: 1, padL: 1, batch: 2, up: true, vec4: true},
	}
	for _, c := range cases {
		c.stride, c.batch = max(c.stride, 1), max(c.batch, 1)
		if c.outScale == 0 {
			c.outScale = 1
		}
		ih, iw := c.h, c.w
		if c.up {
			ih, iw = 2*ih, 2*iw
		}
		if c.oh == 0 {
			c.oh = (ih+2*c.padT-c.k)/c.stride + 1
			c.ow = (iw+2*c.padL-c.k)/c.stride + 1
		}
		name := fmt.Sprintf("%dx%d,stride=%d,pad=%d/%d,cin=%d,cout=%d,h=%d,w=%d,batch=%d", c.k, c.k, c.stride,
			c.padT, c.padL, c.cin, c.cout, c.h, c.w, c.batch)
		for _, f := range []struct {
			on bool
			s  string
		}{{c.f16, "f16"}, {c.bias2, "bias2"}, {c.res, "residual"}, {c.up, "upsample"}, {c.small, "tile=32"}, {c.vec4, "vec4-aligned"}} {
			if f.on {
				name += "," + f.s
			}
		}
		t.Run(name, func(t *testing.T) {
			r := rng(name)
			k := wgsl.Conv2D{WF16: c.f16, Bias2: c.bias2, Residual: c.res, Upsample: c.up, Small: c.small}
			in := c.cin * c.h * c.w
			out := c.cout * c.oh * c.ow
			p := wgsl.Conv2DParams{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, OH: c.oh, OW: c.ow,
				KH: c.k, KW: c.k, Stride: c.stride, PadT: c.padT, PadL: c.padL,
				InOff: 3, InB: in, OutOff: 1, OutB: out, WOff: 2, BiasOff: 1, Bias2Off: 4, Bias2B: c.cout,
				ROff: 5, RB: out, OutScale: c.outScale, Batch: c.batch}
			if c.vec4 {
				p.InOff, p.WOff = 4, 8
			}
			if fits := wgsl.Conv2DVec4Fits(p, c.up); fits != (c.vec4 && c.stride == 1 && !c.up && c.cin%4 == 0) {
				t.Fatalf("Conv2DVec4Fits = %v", fits)
			}
			args := []wgsl.Mem{randF(r, int(p.InOff+c.batch*in), 1), randW(r, int(p.WOff+c.cout*c.cin*c.k*c.k), 0.2, c.f16),
				randF(r, int(1+c.cout), 1)}
			if c.bias2 {
				args = append(args, randF(r, int(4+c.batch*c.cout), 1))
			}
			if c.res {
				args = append(args, randF(r, int(5+c.batch*out), 1))
			}
			args = append(args, randF(r, int(1+c.batch*out), 1))
			checkVariants(t, k, p, args, 2e-6)
		})
	}
}
