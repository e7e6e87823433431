package weights

import "math"

// Embed is diffusers' sinusoidal timestep embedding (get_timestep_embedding with max_period
// 10000 and scale 1) of each timestep: Channels values per timestep, sines then cosines, or
// cosines then sines when FlipSinToCos, with a zero appended for an odd width. Both engines use
// it: the WebGPU UNet takes its output in the per-step scalars instead of computing it on the GPU.
//
// It runs in the same float32 steps as PyTorch (each intermediate rounded to float32), because
// the argument t·exp(...) reaches ~1000 radians: another precision would move the embedding by
// more than the 1e-4 parity budget.
func (ts Timesteps) Embed(timesteps []float32) []float32 {
	dim := ts.Channels
	half := dim / 2
	freqs := make([]float32, half)
	logMax := float32(-math.Log(10000))
	denom := float32(float64(half) - ts.FreqShift)
	for i := range freqs {
		exponent := float32(logMax*float32(i)) / denom
		freqs[i] = float32(math.Exp(float64(exponent)))
	}
	out := make([]float32, 0, len(timesteps)*dim)
	sin := make([]float32, half)
	cos := make([]float32, half)
	for _, t := range timesteps {
		for i, f := range freqs {
			arg := float64(t * f)
			sin[i] = float32(math.Sin(arg))
			cos[i] = float32(math.Cos(arg))
		}
		if ts.FlipSinToCos {
			out = append(out, cos...)
			out = append(out, sin...)
		} else {
			out = append(out, sin...)
			out = append(out, cos...)
		}
		if dim%2 == 1 {
			out = append(out, 0)
		}
	}
	return out
}
