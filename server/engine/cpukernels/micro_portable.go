//go:build !(goexperiment.simd && amd64)

package cpukernels

// simdKernel: this build has no SIMD micro-kernel (built without GOEXPERIMENT=simd, or not for
// amd64), so the portable one runs.
func simdKernel() (microKernel, string) {
	return microGeneric, "portable Go 6x16 (built without GOEXPERIMENT=simd on amd64)"
}

// expSlice sets out[i] = exp(in[i]) (in and out may be the same slice); see expScalar.
func expSlice(in, out []float32) {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = expScalar(x)
	}
}
