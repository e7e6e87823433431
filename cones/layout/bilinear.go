package layout

import "math"

// This file reproduces, bit for bit, PyTorch 1.13's CPU F.interpolate(mode="bilinear",
// align_corners=True) on a channels-last float32 tensor (what the official code hands it), and
// mode="nearest". Bit exactness matters: next to -1e8 every rounding difference is visible. The
// arithmetic was established by probing PyTorch 1.13.1 (the version of the fixtures) with
// one-hot and random inputs, because the kernel's two inner loops round differently:
//
//   - the scale (in-1)/(out-1) is float32; the source position scale*o and the two weights along
//     an axis (1-frac, frac) are float64; a pixel's four corner weights are float32(h*w);
//   - channels that the AVX2 loop handles 8 at a time (all but the last 77 mod 8) are summed as
//     fma(a,w00, fma(b,w01, fma(d,w11, c*w10))) in float32 (the compiler fuses the vector
//     multiply-adds);
//   - the remaining channels, and single-channel tensors, are summed left to right in float64
//     and rounded once.
//
// testdata/torch_grids.json holds PyTorch's outputs that pin this down.

// taps are the two source indices and float64 weights of one output coordinate.
type taps struct {
	i0, i1 int
	l0, l1 float64
}

// linearTaps computes the taps of every output index along one axis (PyTorch's
// area_pixel_compute_scale and compute_source_index_and_lambda with align_corners=True).
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
		real := float64(scale) * float64(o)
		i0 := min(int(real), in-1)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		l1 := min(max(real-float64(i0), 0), 1)
		t[o] = taps{i0: i0, i1: i1, l0: 1 - l1, l1: l1}
	}
	return t
}

// sumOrder says which of PyTorch's two inner loops a channel goes through.
type sumOrder int

const (
	sumScalar sumOrder = iota // float64 left-to-right sum, rounded once
	sumVector                 // nested float32 fused multiply-adds
)

// bilinearPlane resizes one channel, src [ih, iw] row-major, to [oh, ow] with align_corners=True.
func bilinearPlane(src []float32, ih, iw, oh, ow int, order sumOrder) []float32 {
	ty, tx := linearTaps(ih, oh), linearTaps(iw, ow)
	out := make([]float32, oh*ow)
	for y, a := range ty {
		r0, r1 := src[a.i0*iw:(a.i0+1)*iw], src[a.i1*iw:(a.i1+1)*iw]
		for x, b := range tx {
			// The corner weights are float32 in both loops.
			w00, w01 := float32(a.l0*b.l0), float32(a.l0*b.l1)
			w10, w11 := float32(a.l1*b.l0), float32(a.l1*b.l1)
			p00, p01, p10, p11 := r0[b.i0], r0[b.i1], r1[b.i0], r1[b.i1]
			if order == sumVector {
				inner := fma32(p11, w11, float32(p10*w10))
				out[y*ow+x] = fma32(p00, w00, fma32(p01, w01, inner))
			} else {
				// float64() conversions stop Go from fusing these on arm64.
				s := float64(float64(p00)*float64(w00)) + float64(float64(p01)*float64(w01))
				s += float64(float64(p10) * float64(w10))
				s += float64(float64(p11) * float64(w11))
				out[y*ow+x] = float32(s)
			}
		}
	}
	return out
}

// fma32 is a*b+c rounded once to float32. The float64 product is exact; rounding the float64
// sum to float32 can only go wrong when that sum lands exactly halfway between two float32
// values, and then the sum's own rounding error (TwoSum) says which way the exact value lies.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	if e == 0 {
		return r
	}
	lo, hi := bracket(s)
	if (float64(lo)+float64(hi))/2 == s {
		if e > 0 {
			return hi
		}
		return lo
	}
	return r
}

// bracket returns the float32 values just below and above x (which is not a float32 value).
func bracket(x float64) (lo, hi float32) {
	r := float32(x)
	if float64(r) < x {
		return r, math.Nextafter32(r, float32(math.Inf(1)))
	}
	return math.Nextafter32(r, float32(math.Inf(-1))), r
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
