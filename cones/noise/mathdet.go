package noise

import "math"

// Deterministic elementary functions for the Box–Muller transform. Every product is wrapped in
// an explicit float64 conversion: the Go spec lets compilers fuse x*y+z into one FMA (arm64,
// ppc64, s390x and riscv64 do), which would change the last bits between platforms; an explicit
// conversion forbids that. Sqrt is correctly rounded by IEEE 754 everywhere, and Frexp is exact.

// logDet returns the natural logarithm of x > 0 (relative error below 1e-15).
func logDet(x float64) float64 {
	m, e := math.Frexp(x) // x = m * 2^e, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2 // exact
		e--
	}
	// log(m) = 2 atanh(s) with s = (m-1)/(m+1), |s| <= 0.1716, s^2 <= 0.0295: the odd series
	// 2s(1 + s^2/3 + s^4/5 + ...) reaches double precision after 12 terms.
	f := m - 1
	s := f / (2 + f)
	s2 := float64(s * s)
	sum := 0.0
	for k := 12; k >= 1; k-- {
		sum = float64(sum*s2) + 1/float64(2*k+1)
	}
	sum = float64(sum*s2) + 1
	return float64(float64(e)*math.Ln2) + float64(2*float64(s*sum))
}

// sinCosTurn returns sin(2πu) and cos(2πu) for u in [0, 1). Reducing in turns rather than radians
// keeps the reduction exact: 8u splits into an octant and a fraction without rounding.
func sinCosTurn(u float64) (sin, cos float64) {
	t := u * 8 // exact: a power-of-two scaling
	k := int(t)
	f := t - float64(k)
	if k&1 == 1 {
		f = 1 - f
	}
	x := float64(f * (math.Pi / 4)) // in [0, π/4]
	s, c := sinCosSmall(x)
	switch k & 7 {
	case 0:
		return s, c
	case 1:
		return c, s
	case 2:
		return c, -s
	case 3:
		return s, -c
	case 4:
		return -s, -c
	case 5:
		return -c, -s
	case 6:
		return -c, s
	default:
		return -s, c
	}
}

// sinCosSmall evaluates the Taylor series of sin and cos for |x| <= π/4, where the terms up to
// x^17 and x^18 leave an error below 1e-17.
func sinCosSmall(x float64) (sin, cos float64) {
	x2 := float64(x * x)
	// Horner from the highest term: sin x = x(1 - x²/(2·3)(1 - x²/(4·5)(1 - ...))).
	s, c := 1.0, 1.0
	for k := 8; k >= 1; k-- {
		s = 1 - float64(float64(x2/float64((2*k)*(2*k+1)))*s)
		c = 1 - float64(float64(x2/float64((2*k-1)*(2*k)))*c)
	}
	return float64(x * s), c
}
