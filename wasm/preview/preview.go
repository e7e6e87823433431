package preview

import (
	"fmt"
	"image"
	"math"
)

// sdRGB maps the four channels of a Stable Diffusion 1.x/2.x latent to approximate RGB in
// [-1, 1]: a least-squares fit of the VAE decoder's colour at each latent cell (one row per
// output channel, one column per latent channel).
var sdRGB = [3][4]float32{
	{0.298, 0.187, -0.158, -0.184},
	{0.207, 0.286, 0.189, -0.271},
	{0.208, 0.173, 0.264, -0.473},
}

// Latents renders latents laid out [channels, h, w] (batch 1) as an h x w image.
func Latents(lat []float32, channels, h, w int) (*image.RGBA, error) {
	if channels < 1 || h < 1 || w < 1 || len(lat) != channels*h*w {
		return nil, fmt.Errorf("preview: %d values for %d channels of %dx%d", len(lat), channels, h, w)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	n := h * w
	if channels == 4 {
		for p := range n {
			for c := range 3 {
				var v float32
				for k := range 4 {
					v += sdRGB[c][k] * lat[k*n+p]
				}
				img.Pix[4*p+c] = toByte((v + 1) / 2)
			}
			img.Pix[4*p+3] = 255
		}
		return img, nil
	}
	for c := range 3 {
		src := lat[min(c, channels-1)*n:][:n]
		lo, hi := span(src)
		for p, v := range src {
			img.Pix[4*p+c] = toByte((v - lo) / (hi - lo))
		}
	}
	for p := range n {
		img.Pix[4*p+3] = 255
	}
	return img, nil
}

// span is the finite range of v, widened so that a constant channel does not divide by zero.
func span(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	if !(hi > lo) || math.IsInf(float64(hi-lo), 0) {
		return lo - 1, lo + 1
	}
	return lo, hi
}

// toByte maps [0, 1] to 0..255, clamping, with NaN as 0.
func toByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}
