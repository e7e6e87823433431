package schedule

import "math"

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

// torchLinspace32 is torch.linspace(start, end, n, dtype=float32) on the CPU: both ends rounded
// to float32, a float32 step, the first half counted up from start and the second half down
// from end so the sequence is symmetric.
func torchLinspace32(start, end float64, n int) []float32 {
	out := make([]float32, n)
	s, e := float32(start), float32(end)
	if n == 1 {
		out[0] = s
		return out
	}
	step := (e - s) / float32(n-1)
	half := n / 2
	for i := range out {
		if i < half {
			out[i] = s + float32(step*float32(i))
		} else {
			out[i] = e - float32(step*float32(n-1-i))
		}
	}
	return out
}

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
