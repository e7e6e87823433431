package schedule

// The three DPM-Solver updates, from level s0 = i to level t = i+1. Scalars are float32 0-dim
// tensors in diffusers, so every coefficient is formed in float32 in the same order, and each
// element is the same left-to-right sum of rounded products.

// dpmCoeffs are the scalar pieces every order uses.
type dpmCoeffs struct {
	h    float32 // lambda_t - lambda_s0
	cx   float32 // sigma_t/sigma_s0 (++) or alpha_t/alpha_s0
	c0   float32 // alpha_t*(exp(-h)-1) (++) or sigma_t*(exp(h)-1)
	em1  float32 // exp(-h)-1 (++) or exp(h)-1
	edge float32 // alpha_t (++) or sigma_t
}

func (s *dpm) coeffs(i int) dpmCoeffs {
	t := i + 1
	h := s.lambda[t] - s.lambda[i]
	if s.plusPlus {
		em1 := exp32(-h) - 1
		return dpmCoeffs{h: h, cx: s.sig[t] / s.sig[i], c0: s.alpha[t] * em1, em1: em1, edge: s.alpha[t]}
	}
	em1 := exp32(h) - 1
	return dpmCoeffs{h: h, cx: s.alpha[t] / s.alpha[i], c0: s.sig[t] * em1, em1: em1, edge: s.sig[t]}
}

// firstOrder is DPM-Solver-1 (DDIM in disguise): x_t = cx*x - c0*m0.
func (s *dpm) firstOrder(m0, x []float32, i int) []float32 {
	c := s.coeffs(i)
	out := make([]float32, len(x))
	for j := range out {
		out[j] = float32(c.cx*x[j]) - float32(c.c0*m0[j])
	}
	return out
}

// secondOrder is the multistep second-order update with D1 = (m0 - m1)/r0.
func (s *dpm) secondOrder(x []float32, i int) ([]float32, error) {
	s1, err := s.level(i - 1)
	if err != nil {
		return nil, err
	}
	c := s.coeffs(i)
	r0 := (s.lambda[i] - s.lambda[s1]) / c.h
	inv := 1 / r0
	m0, m1 := s.outs[len(s.outs)-1], s.outs[len(s.outs)-2]
	c1 := s.secondCoeff(c)
	out := make([]float32, len(x))
	for j := range out {
		d1 := float32(inv * (m0[j] - m1[j]))
		v := float32(c.cx*x[j]) - float32(c.c0*m0[j])
		switch {
		case s.plusPlus && s.heun:
			v += float32(c1 * d1)
		default:
			v -= float32(c1 * d1)
		}
		out[j] = v
	}
	return out, nil
}

// secondCoeff is the D1 weight: 0.5*c0 for midpoint; for heun alpha_t*((exp(-h)-1)/h + 1)
// (added) or sigma_t*((exp(h)-1)/h - 1) (subtracted).
func (s *dpm) secondCoeff(c dpmCoeffs) float32 {
	switch {
	case !s.heun:
		return 0.5 * c.c0
	case s.plusPlus:
		return c.edge * (c.em1/c.h + 1)
	default:
		return c.edge * (c.em1/c.h - 1)
	}
}

// thirdOrder is the multistep third-order update.
func (s *dpm) thirdOrder(x []float32, i int) ([]float32, error) {
	s1, err := s.level(i - 1)
	if err != nil {
		return nil, err
	}
	s2, err := s.level(i - 2)
	if err != nil {
		return nil, err
	}
	c := s.coeffs(i)
	r0 := (s.lambda[i] - s.lambda[s1]) / c.h
	r1 := (s.lambda[s1] - s.lambda[s2]) / c.h
	inv0, inv1 := 1/r0, 1/r1
	q, p := r0/(r0+r1), 1/(r0+r1)
	k := len(s.outs)
	m0, m1, m2 := s.outs[k-1], s.outs[k-2], s.outs[k-3]
	var c1, c2 float32
	if s.plusPlus {
		c1 = c.edge * (c.em1/c.h + 1)
		c2 = c.edge * ((c.em1+c.h)/float32(c.h*c.h) - 0.5)
	} else {
		c1 = c.edge * (c.em1/c.h - 1)
		c2 = c.edge * ((c.em1-c.h)/float32(c.h*c.h) - 0.5)
	}
	out := make([]float32, len(x))
	for j := range out {
		d10 := float32(inv0 * (m0[j] - m1[j]))
		d11 := float32(inv1 * (m1[j] - m2[j]))
		d1 := d10 + float32(q*(d10-d11))
		d2 := float32(p * (d10 - d11))
		v := float32(c.cx*x[j]) - float32(c.c0*m0[j])
		if s.plusPlus {
			v = v + float32(c1*d1) - float32(c2*d2)
		} else {
			v = v - float32(c1*d1) - float32(c2*d2)
		}
		out[j] = v
	}
	return out, nil
}
