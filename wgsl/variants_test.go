package wgsl

// Variants lists one kernel of every structural variant of every family (attention for a few
// head widths): what the tests compile, check and run.
func Variants() []Kernel {
	var out []Kernel
	for _, f16 := range []bool{false, true} {
		for _, bias := range []bool{false, true} {
			for _, res := range []bool{false, true} {
				for _, a := range []Act{ActNone, ActGELU, ActQuickGELU, ActSiLU} {
					out = append(out, MatMul{BF16: f16, Bias: bias, Residual: res, Act: a}, MatMul{BF16: f16, Bias: bias, Residual: res, Act: a, Small: true})
				}
				for _, up := range []bool{false, true} {
					out = append(out, Conv2D{WF16: f16, Bias2: bias, Residual: res, Upsample: up},
						Conv2D{WF16: f16, Bias2: bias, Residual: res, Upsample: up, Small: true})
				}
			}
		}
		out = append(out, Embed{F16: f16}, GroupNorm{SiLU: f16}, GroupNorm{SiLU: f16, GroupPerThread: true})
	}
	for _, dh := range []int{16, 40, 64, 80, 160, MaxFlashHeadDim} {
		for _, c := range []bool{false, true} {
			for _, e := range []bool{false, true} {
				k, _ := NewAttention(dh, c, e)
				out = append(out, k)
			}
		}
	}
	out = append(out, ScoreStats{}, ScoreStats{Final: true}, LayerNorm{}, LayerNorm{RowPerThread: true}, Softmax{}, Concat{}, Pixels{}, Blend{})
	for op := EltAdd; op <= EltScale; op++ {
		out = append(out, Eltwise{Op: op, Act: ActSiLU})
	}
	// The CPU adapters' variants of the matrix product and the convolution, scalar and in vec4s,
	// and the GPU's matrix product in vec4s.
	for _, k := range out[:len(out):len(out)] {
		d := ForCPU(k, nil)
		if d != k {
			out = append(out, d)
		}
		var p any
		switch k.(type) {
		case MatMul:
			p = MatMulParams{AK: 1, BK: 1}
		case Conv2D:
			p = Conv2DParams{KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1}
		}
		if v := ForCPU(k, p); v != d {
			out = append(out, v)
		}
		if v := ForGPU(k, p); v != k {
			out = append(out, v)
		}
	}
	return out
}

// ParamsOf returns a zero Params value of k's family (for layout checks and generic code).
func ParamsOf(k Kernel) any {
	switch k.(type) {
	case MatMul:
		return MatMulParams{}
	case Conv2D:
		return Conv2DParams{}
	case GroupNorm:
		return GroupNormParams{}
	case LayerNorm:
		return LayerNormParams{}
	case Attention:
		return AttentionParams{}
	case ScoreStats:
		return ScoreStatsParams{}
	case Softmax:
		return SoftmaxParams{}
	case Eltwise:
		return EltwiseParams{}
	case Concat:
		return ConcatParams{}
	case Embed:
		return EmbedParams{}
	case Pixels:
		return PixelsParams{}
	case Blend:
		return BlendParams{}
	}
	return nil
}
