package layout

// This file reproduces PyTorch 1.13's CPU F.interpolate(mode="bilinear", align_corners=True)
// and mode="nearest" in float32, step by step, because the weight maps must match the official
// ones to the bit: the -1e8 entries make every rounding difference visible.

// taps are the two source indices and weights of one output coordinate.
type taps struct {
	i0, i1 int
	l0, l1 float32
}

// linearTaps computes the taps of every output index along one axis, like PyTorch's
// area_pixel_compute_scale and compute_source_index_and_lambda with align_corners=True: the
// scale (in-1)/(out-1) and the source position scale*o are float32, the left index is the
// truncated position and the right weight is its fraction clamped to [0, 1].
func linearTaps(in, out int) []taps {
	t := make([]taps, out)
	if in == out {
		for o := range t {
			t[o] = taps{i0: o, i1: o, l0: 1, l1: 0}
		}
		return t
	}
	var scale float32
	if out > 1 {
		scale = float32(in-1) / float32(out-1)
	}
	for o := range t {
		real := scale * float32(o)
		i0 := min(int(real), in-1)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		l1 := min(max(real-float32(i0), 0), 1)
		t[o] = taps{i0: i0, i1: i1, l0: 1 - l1, l1: l1}
	}
	return t
}

// sumOrder says how PyTorch adds the four weighted corners of a channel. Its channels-last
// kernel sums w00*a + w01*b + w10*c + w11*d from the left for the channels it handles one at a
// time, and as w00*a + (w01*b + (w10*c + w11*d)) for those it handles a SIMD vector at a time.
type sumOrder int

const (
	sumLeft   sumOrder = iota // ((p00 + p01) + p10) + p11
	sumNested                 // p00 + (p01 + (p10 + p11))
)

// bilinearPlane resizes one channel, src [ih, iw] row-major, to [oh, ow] with align_corners=True.
// The float32() conversions keep every product rounded on its own: Go may otherwise fuse a
// multiply and an add on some architectures, and PyTorch does not here.
func bilinearPlane(src []float32, ih, iw, oh, ow int, order sumOrder) []float32 {
	ty, tx := linearTaps(ih, oh), linearTaps(iw, ow)
	out := make([]float32, oh*ow)
	for y, a := range ty {
		r0, r1 := src[a.i0*iw:(a.i0+1)*iw], src[a.i1*iw:(a.i1+1)*iw]
		for x, b := range tx {
			w00, w01 := float32(a.l0*b.l0), float32(a.l0*b.l1)
			w10, w11 := float32(a.l1*b.l0), float32(a.l1*b.l1)
			p00, p01 := float32(r0[b.i0]*w00), float32(r0[b.i1]*w01)
			p10, p11 := float32(r1[b.i0]*w10), float32(r1[b.i1]*w11)
			if order == sumNested {
				out[y*ow+x] = p00 + float32(p01+float32(p10+p11))
			} else {
				out[y*ow+x] = float32(float32(p00+p01)+p10) + p11
			}
		}
	}
	return out
}

// nearestIndex is PyTorch's nearest_idx for mode="nearest" with an explicit size: the identity
// for equal sizes, o/2 for doubling, else floor(o * float32(in)/float32(out)).
func nearestIndex(o, in, out int) int {
	switch {
	case out == in:
		return o
	case out == 2*in:
		return o >> 1
	}
	scale := float32(in) / float32(out)
	return min(int(float32(o)*scale), in-1)
}
