package sample

import "math"

// EditStrength is the official scale of the layout edit at a guided step,
// guidance_weight·log(1+σ²), with σ² formed in float32 as the official code does on its float32
// sigma tensor. Both engines multiply it by the layout map and the scores' std (see
// server/engine/nn.LayoutGuidance and the WGSL attention kernel).
func EditStrength(guidanceWeight float64, sigma float32) float32 {
	return float32(guidanceWeight * math.Log(float64(1+float32(sigma*sigma))))
}

// CombineCFG is classifier-free guidance, uncond + scale·(cond − uncond), each operation rounded
// to float32 as PyTorch does. It returns a new slice.
func CombineCFG(uncond, cond []float32, scale float32) []float32 {
	out := make([]float32, len(uncond))
	for i := range out {
		out[i] = uncond[i] + float32(scale*(cond[i]-uncond[i]))
	}
	return out
}
