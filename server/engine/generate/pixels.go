package generate

import (
	"math"

	"github.com/cones2web/cones2/weights"
)

// Pixels converts the first decoded image ([batch, 3, H, W] in [-1, 1]) to 8-bit RGB, H rows
// of W triples, exactly as the official latents_to_images does: x/2 + 0.5, clamped to [0, 1],
// times 255, rounded half to even (numpy's round), all in float32.
func Pixels(img weights.Tensor) []uint8 {
	c, h, w := img.Shape[1], img.Shape[2], img.Shape[3]
	out := make([]uint8, h*w*c)
	for ch := 0; ch < c; ch++ {
		plane := img.Data[ch*h*w : (ch+1)*h*w]
		for p, v := range plane {
			x := v/2 + 0.5
			x = min(max(x, 0), 1)
			out[p*c+ch] = uint8(math.RoundToEven(float64(float32(x * 255))))
		}
	}
	return out
}
