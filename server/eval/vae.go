package eval

import (
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
)

// RoundTrip measures the VAE alone: n test scenes (of seed) encoded to the mean latent and
// decoded, and the share of pixels whose world-colour label survives the round trip, with the
// share of shape pixels among them (the part that matters: backgrounds are easy).
func RoundTrip(p *sd.Pipeline, n int, seed uint64) (all, shapePixels float64, err error) {
	size := p.Model.UNet.Config.SampleSize * p.Model.VAE.DownsampleFactor()
	set := shapes.NewSet(seed)
	var same, total, shapeSame, shapeTotal int
	for i := range n {
		sc := set.Scene(uint64(i))
		rgb := sc.Render(size)
		img := make([]float32, 3*size*size)
		for px := range size * size {
			for c := range 3 {
				img[c*size*size+px] = float32(rgb[3*px+c])/127.5 - 1
			}
		}
		mean, _, err := p.VAE.Encode(weights.Tensor{Shape: []int{1, 3, size, size}, Data: img})
		if err != nil {
			return 0, 0, err
		}
		for j := range mean.Data {
			mean.Data[j] *= float32(p.Model.VAE.ScalingFactor)
		}
		dec, err := p.VAE.Decode(mean)
		if err != nil {
			return 0, 0, err
		}
		want, err := Label(Picture{W: size, H: size, RGB: rgb})
		if err != nil {
			return 0, 0, err
		}
		got, err := Label(Picture{W: size, H: size, RGB: generate.Pixels(dec)})
		if err != nil {
			return 0, 0, err
		}
		for k, l := range want.L {
			total++
			if got.L[k] == l {
				same++
			}
			if l >= 0 {
				shapeTotal++
				if got.L[k] == l {
					shapeSame++
				}
			}
		}
	}
	return float64(same) / float64(total), float64(shapeSame) / float64(max(shapeTotal, 1)), nil
}
