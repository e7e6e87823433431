package wgsl

import (
	"fmt"
	"math"
)

// Timestep is the sinusoidal timestep-embedding family (timestep.wgsl).
type Timestep struct{}

// TimestepParams mirrors struct Params in timestep.wgsl. Flip is 1 for flip_sin_to_cos.
type TimestepParams struct {
	Batch, Dim, Half, Flip, TIdx, OutOff uint32
}

// TimestepFreqs returns exp(-ln(maxPeriod) * j / (half - shift)) for j < dim/2, rounded through
// float32 at each step as PyTorch computes it (arange, multiply, divide, exp in float32).
func TimestepFreqs(dim int, shift float64, maxPeriod float64) ([]float32, error) {
	half := dim / 2
	if half == 0 || float64(half) == shift {
		return nil, fmt.Errorf("wgsl: timestep embedding: dim %d with shift %g", dim, shift)
	}
	out := make([]float32, half)
	lnp := float32(-math.Log(maxPeriod))
	den := float32(float64(half) - shift)
	for j := range out {
		e := lnp * float32(j) / den
		out[j] = float32(math.Exp(float64(e)))
	}
	return out, nil
}

func (Timestep) Family() string { return "timestep" }

func (Timestep) Bindings() []Binding {
	return []Binding{{Name: "scal", Type: F32}, {Name: "freq", Type: F32}, {Name: "o", Type: F32, Write: true}}
}

func (Timestep) Source() (string, error) { return Expand("timestep.wgsl", Defines{}) }

func (k Timestep) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[TimestepParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return checkGrid(k.Family(), [3]uint32{ceilDiv(p.Batch*p.Dim, 256), 1, 1})
}

func (Timestep) FLOPs(pa any) float64 {
	p, _ := pa.(TimestepParams)
	return float64(p.Batch * p.Dim)
}

func (k Timestep) Ref(pa any, args []Mem) error {
	p, err := paramsAs[TimestepParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	for b := range p.Batch {
		t := args[0].F[p.TIdx+b]
		for j := range p.Dim {
			var v float64
			if j < 2*p.Half {
				jj, cos := j, false
				if jj >= p.Half {
					jj, cos = jj-p.Half, true
				}
				if p.Flip == 1 {
					cos = !cos
				}
				arg := float64(t * args[1].F[jj]) // the float32 product, as PyTorch rounds it
				if cos {
					v = math.Cos(arg)
				} else {
					v = math.Sin(arg)
				}
			}
			args[2].F[p.OutOff+b*p.Dim+j] = float32(v)
		}
	}
	return nil
}
