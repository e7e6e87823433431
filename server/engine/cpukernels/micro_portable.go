//go:build !(goexperiment.simd && amd64)

package cpukernels

import "github.com/gomlx/gomlx/backends"

// simdKernel: this build has no SIMD micro-kernel (built without GOEXPERIMENT=simd, or not for
// amd64), so the portable one runs.
func simdKernel() (microKernel, string) {
	return microGeneric, "portable Go 4x16 (built without GOEXPERIMENT=simd on amd64)"
}

// expSlice sets out[i] = exp(in[i]) (in and out may be the same slice); see expScalar.
func expSlice(in, out []float32) {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = expScalar(x)
	}
}

// erfSlice sets out[i] = erf(in[i]) (in and out may be the same slice); see erfScalar.
func erfSlice(in, out []float32) {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = erfScalar(x)
	}
}

// binaryVec: no vector path in this build; binaryRun does every element.
func binaryVec(op backends.OpType, c, a, b []float32, sa, sb int) int { return 0 }

// sumLanesVec: no vector path in this build; see sumLanes.
func sumLanesVec(run []float32, l *[lanes]float32) int { return sumLanes(run, l) }

// fillVec: no vector path in this build; fill does every element.
func fillVec(out []float32, x float32) int { return 0 }

// copyRows16 sets dst[16t : 16t+16] = src[base+d : base+d+16] for each depth[t] = d.
func copyRows16(dst, src []float32, base int, depth []int) { copyRows16Portable(dst, src, base, depth) }
