package engine

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// Weights says how the engine stores matrix weights (linear, convolution and embedding
// matrices; biases and norms are always float32) on the GPU.
type Weights string

const (
	// WeightsAuto stores them as float16, except on an adapter that runs shaders on the CPU
	// when their float32 copy is at most AutoF32Limit bytes (see chooseF16).
	WeightsAuto Weights = ""
	// WeightsF16 stores them as float16 (half the memory; the kernels unpack them).
	WeightsF16 Weights = "f16"
	// WeightsF32 stores them as float32 (the parity tests against the official numbers).
	WeightsF32 Weights = "f32"
)

// AutoF32Limit is the largest float32 copy of a model's weights that WeightsAuto keeps on a CPU
// adapter: the fixture and default models (a few MB) but not Stable Diffusion (3.5 GB as
// float32), whose memory plan is sized for float16.
const AutoF32Limit = 1 << 30

// F16Weights reports whether Load, asked for w, stores model m's matrix weights as float16 on an
// adapter that runs shaders on the CPU (cpuAdapter) or not: the page plans memory with it.
func F16Weights(w Weights, cpuAdapter bool, m *weights.Model) (bool, error) {
	var f32Bytes uint64
	for _, p := range loadedParams(m) {
		f32Bytes += uint64(wgsl.F32.Size(p.NumElements()))
	}
	return chooseF16(w, cpuAdapter, f32Bytes)
}

// loadedParams are the parameters the engine keeps on the GPU: text encoder, UNet and the VAE's
// decoding half.
func loadedParams(m *weights.Model) []weights.Param {
	ps := append(append(m.TextEncoder.Params(), m.UNet.Params()...), m.VAE.PostQuantConv.Params()...)
	return append(ps, m.VAE.Decoder.Params()...)
}

// chooseF16 reports whether matrix weights are stored as float16. A CPU adapter (SwiftShader,
// llvmpipe) unpacks float16 in software, element by element, which costs the fixture model
// about an eighth of a generation; widening on the host gives the same values (every float16 is
// exactly a float32), so the choice changes speed and memory, never the numbers.
func chooseF16(w Weights, cpuAdapter bool, f32Bytes uint64) (bool, error) {
	switch w {
	case WeightsF16:
		return true, nil
	case WeightsF32:
		return false, nil
	case WeightsAuto:
		return !(cpuAdapter && f32Bytes <= AutoF32Limit), nil
	}
	return false, fmt.Errorf("weights %q: want %q, %q or empty (automatic)", string(w), WeightsF16, WeightsF32)
}
