package schedule

import (
	"fmt"
	"math"
)

// KarrasSigmas is the noise schedule of Karras et al. (2022): n levels from sigmaMax down to
// sigmaMin, evenly spaced in sigma^(1/rho) (rho = 7 in the paper and in diffusers). It is computed
// in float64 like diffusers' _convert_to_karras; no trailing zero is appended.
func KarrasSigmas(sigmaMin, sigmaMax float64, n int, rho float64) ([]float64, error) {
	if err := checkSigmaRange(sigmaMin, sigmaMax, n); err != nil {
		return nil, fmt.Errorf("karras sigmas: %w", err)
	}
	if !(rho > 0) || math.IsInf(rho, 0) {
		return nil, fmt.Errorf("karras sigmas: rho %g, want > 0", rho)
	}
	ramp := numpyLinspace(0, 1, n)
	minInv := math.Pow(sigmaMin, 1/rho)
	maxInv := math.Pow(sigmaMax, 1/rho)
	out := make([]float64, n)
	for i, r := range ramp {
		out[i] = math.Pow(maxInv+float64(r*(minInv-maxInv)), rho)
	}
	return out, nil
}

func checkSigmaRange(sigmaMin, sigmaMax float64, n int) error {
	if n < 1 {
		return fmt.Errorf("%w: %d", ErrStepCount, n)
	}
	if !(sigmaMin > 0) || !(sigmaMax >= sigmaMin) || math.IsInf(sigmaMax, 0) {
		return fmt.Errorf("sigma range [%g, %g], want 0 < min <= max < inf", sigmaMin, sigmaMax)
	}
	return nil
}

// sigmaToT maps a sigma to a fractional training timestep by linear interpolation in log sigma
// over the training table (diffusers' _sigma_to_t). logSigmas is ascending, float32 as np.log of
// a float32 array gives it; the differences between table entries are taken in float32 too.
func sigmaToT(sigma float64, logSigmas []float32) float64 {
	ls := math.Log(math.Max(sigma, 1e-10))
	low := 0
	for i, l := range logSigmas {
		if ls-float64(l) >= 0 {
			low = i
		}
	}
	low = min(low, len(logSigmas)-2)
	lo, hi := logSigmas[low], logSigmas[low+1]
	w := (float64(lo) - ls) / float64(lo-hi)
	w = math.Min(math.Max(w, 0), 1)
	return float64((1-w)*float64(low)) + float64(w*float64(low+1))
}

// logTable is np.log of the float32 training sigmas.
func logTable(sig []float32) []float32 {
	out := make([]float32, len(sig))
	for i, s := range sig {
		out[i] = log32(s)
	}
	return out
}
