package schedule

import "math"

// torchVecWidth is the float32 lane count of PyTorch's AVX2 kernels (AVX-512 builds use 16; both
// reproduce the fixtures' schedules bit for bit).
const torchVecWidth = 8

// The helpers below reproduce how PyTorch (float32 tensors) and NumPy (float64 arrays) compute
// the few scalar quantities the schedulers are built from. Products that feed an addition are
// wrapped in float32()/float64() conversions: Go may otherwise fuse them into an FMA on some
// architectures, which PyTorch's CPU kernels do not do.

// sqrt32 is a correctly rounded float32 square root (torch's x ** 0.5 and torch.sqrt).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// log32 and exp32 round the float64 result to float32 (torch uses float32 SLEEF/libm kernels,
// which are within one float32 ulp of this).
func log32(x float32) float32 { return float32(math.Log(float64(x))) }
func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }

// torchLinspace32 is torch.linspace(start, end, n, dtype=float32) as PyTorch's x86 CPU kernel
// computes it: both ends rounded to float32, a float32 step, the first half counted up from start
// and the second half down from end. The kernel fills blocks of two SIMD vectors of torchVecWidth
// lanes: each vector starts at start+step*idx (or end-step*(n-1-idx)) and adds k*step per lane,
// the tail is filled one value at a time; the compiler contracts each multiply-add into an FMA.
// Emulating this exactly makes alphas_cumprod, and so every sigma, bit-identical to PyTorch's.
func torchLinspace32(start, end float64, n int) []float32 {
	out := make([]float32, n)
	s, e := float32(start), float32(end)
	if n == 1 {
		out[0] = s
		return out
	}
	step := (e - s) / float32(n-1)
	half := n / 2
	at := func(i int) float32 {
		if i < half {
			return fma32(step, float32(i), s)
		}
		return fma32(-step, float32(n-1-i), e)
	}
	w := torchVecWidth
	i := 0
	for ; i+2*w <= n; i += 2 * w {
		for v := i; v < i+2*w; v += w {
			base := at(v)
			for k := 0; k < w; k++ {
				out[v+k] = fma32(float32(k), step, base)
			}
		}
	}
	for ; i < n; i++ {
		out[i] = at(i)
	}
	return out
}

// fma32 is a*b+c with a single rounding to float32 (the float64 FMA of float32 inputs is exact
// for the product; the second rounding to float32 could only differ on an exact float64 tie).
func fma32(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

// numpyLinspace is np.linspace(start, stop, n) in float64 (endpoint included): i*step + start,
// with the last value set to stop.
func numpyLinspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(n-1)
	for i := range out {
		out[i] = float64(float64(i)*step) + start
	}
	out[n-1] = stop
	return out
}

// interpArange is np.interp(x, arange(len(fp)), fp) for one x, in float64 like NumPy: exact
// table values at the grid points and at the right end, slope*(x-x_j)+f_j in between, and the
// end values outside the table.
func interpArange(x float64, fp []float64) float64 {
	n := len(fp)
	switch {
	case math.IsNaN(x):
		return x
	case x <= 0:
		return fp[0]
	case x >= float64(n-1):
		return fp[n-1]
	}
	j := int(math.Floor(x))
	if float64(j) == x {
		return fp[j]
	}
	slope := (fp[j+1] - fp[j]) / (float64(j+1) - float64(j))
	return float64(slope*(x-float64(j))) + fp[j]
}

// kSigma is the k-diffusion noise level of a cumulative alpha, sqrt((1 - a) / a), evaluated in
// float32 like diffusers' ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5.
func kSigma(a float32) float32 { return sqrt32((1 - a) / a) }
