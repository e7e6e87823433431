package nn

import "math"

// TimestepEmbedding is diffusers' sinusoidal timestep embedding (get_timestep_embedding with
// max_period 10000 and scale 1) of each timestep: dim values per timestep, sines then cosines, or
// cosines then sines when flipSinToCos (SD's setting), with a zero appended for an odd dim.
//
// It runs on the host in the same float32 steps as PyTorch (each intermediate rounded to float32),
// because the argument t·exp(...) reaches ~1000 radians: computing it in another precision would
// move the embedding by more than the 1e-4 parity budget.
func TimestepEmbedding(timesteps []float32, dim int, flipSinToCos bool, freqShift float64) []float32 {
	half := dim / 2
	freqs := make([]float32, half)
	logMax := float32(-math.Log(10000))
	denom := float32(float64(half) - freqShift)
	for i := range freqs {
		exponent := float32(logMax*float32(i)) / denom
		freqs[i] = float32(math.Exp(float64(exponent)))
	}
	out := make([]float32, 0, len(timesteps)*dim)
	for _, t := range timesteps {
		sin := make([]float32, half)
		cos := make([]float32, half)
		for i, f := range freqs {
			arg := float64(t * f)
			sin[i] = float32(math.Sin(arg))
			cos[i] = float32(math.Cos(arg))
		}
		if flipSinToCos {
			sin, cos = cos, sin
		}
		out = append(out, sin...)
		out = append(out, cos...)
		if dim%2 == 1 {
			out = append(out, 0)
		}
	}
	return out
}
