package cpukernels

// The error function, which GoMLX's exact GELU (x/2 * (1 + erf(x/√2))) calls once per
// activation: simplego evaluates it with float64 math.Erf one element at a time, a tenth of a
// sampling step's time on the default model. Here it is a rational function of float32,
// erf(x) ≈ x·P(x²)/Q(x²) on x clamped to [-4, 4] (erf(±4) is ±1 to within 2e-8), P of degree 6
// and Q of degree 4 in x²: within 5e-7 of math.Erf everywhere (TestElementwiseGraph checks it),
// a few float32 ulps, far inside every fixture tolerance.
const (
	erfClamp = 4
	erfP13   = -2.72614225801306e-10
	erfP11   = 2.77068142495902e-08
	erfP9    = -2.10102402082508e-06
	erfP7    = -5.69250639462346e-05
	erfP5    = -7.34990630326855e-04
	erfP3    = -2.95459980854025e-03
	erfP1    = -1.60960333262415e-02
	erfQ8    = -1.45660718464996e-05
	erfQ6    = -2.13374055278905e-04
	erfQ4    = -1.68282697438203e-03
	erfQ2    = -7.37332916720468e-03
	erfQ0    = -1.42647390514189e-02
)

// erfScalar is one erf by the method of erfSlice's vector loop, for the elements the vectors
// do not cover and for builds without SIMD. NaN stays NaN.
func erfScalar(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, -erfClamp), erfClamp)
	x2 := x * x
	p := float32(erfP13)
	p = p*x2 + erfP11
	p = p*x2 + erfP9
	p = p*x2 + erfP7
	p = p*x2 + erfP5
	p = p*x2 + erfP3
	p = p*x2 + erfP1
	q := float32(erfQ8)
	q = q*x2 + erfQ6
	q = q*x2 + erfQ4
	q = q*x2 + erfQ2
	q = q*x2 + erfQ0
	return x * p / q
}
