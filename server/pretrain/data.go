package pretrain

import (
	"github.com/cones2web/cones2/server/shapes"
)

// images renders scenes first..first+n-1 of set at size×size as one NCHW batch in [-1, 1], the
// VAE's input range.
func images(set shapes.Set, first uint64, n, size int) []float32 {
	out := make([]float32, n*3*size*size)
	plane := size * size
	for b := range n {
		rgb := set.Scene(first + uint64(b)).Render(size)
		img := out[b*3*plane : (b+1)*3*plane]
		for p := range plane {
			for c := range 3 {
				img[c*plane+p] = float32(rgb[3*p+c])/127.5 - 1
			}
		}
	}
	return out
}

// captions returns the captions of scenes first..first+n-1.
func captions(set shapes.Set, first uint64, n int) []string {
	out := make([]string, n)
	for b := range n {
		out[b] = set.Scene(first + uint64(b)).Caption()
	}
	return out
}
