package weights

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
)

// Initialisation of the tiny model. The aim is a network whose activations stay O(1) through
// every layer without training, so the product has a default model that runs end to end and
// produces finite, bounded images:
//
//   - linear and convolution weights: zero-mean, standard deviation 1/sqrt(fan_in) (fan_in is
//     in × kernel area), which keeps a unit-variance input at unit variance;
//   - the last projection of every residual branch (resnet conv2, attention to_out.0 /
//     out_proj / proj_attn, ff.net.2, mlp.fc2, proj_out) at half that, so that the residual
//     stream grows slowly with depth;
//   - normalisation weights 1 ± 0.05 and all biases ± 0.02, off their identity values so that a
//     swapped weight and bias shows up in a test;
//   - embedding rows with standard deviation 0.5 (the text encoder normalises before use).
//
// Each parameter draws from its own stream, seeded by the model seed and a hash of its name, so
// a value depends only on (seed, name, index): not on the order tensors are written in.
// Values come from an Irwin–Hall sum of four uniforms (mean 0, variance 1, bounded by ±3.5),
// which needs only additions and so gives the same bits on every platform.

// residualOutputs are the name endings of the last projection of a residual branch.
var residualOutputs = []string{
	".conv2.weight", ".to_out.0.weight", ".out_proj.weight", ".proj_attn.weight",
	".ff.net.2.weight", ".mlp.fc2.weight", ".proj_out.weight",
}

// initValues draws the initial values of one parameter.
func initValues(p Param, seed uint64) []float32 {
	h := fnv.New64a()
	h.Write([]byte(p.Name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	mean, std := initMoments(p)
	out := make([]float32, p.NumElements())
	for i := range out {
		out[i] = float32(mean + std*irwinHall(rng))
	}
	return out
}

// initMoments returns the mean and standard deviation one parameter is drawn with.
func initMoments(p Param) (mean, std float64) {
	switch {
	case len(p.Shape) == 1 && strings.HasSuffix(p.Name, ".bias"):
		return 0, 0.02
	case len(p.Shape) == 1: // a norm's weight
		return 1, 0.05
	case strings.Contains(p.Name, "embedding"):
		return 0, 0.5
	}
	fanIn := 1
	for _, d := range p.Shape[1:] {
		fanIn *= d
	}
	std = 1 / math.Sqrt(float64(fanIn))
	for _, s := range residualOutputs {
		if strings.HasSuffix(p.Name, s) {
			return 0, std / 2
		}
	}
	return 0, std
}

// irwinHall returns a sample of the Irwin–Hall distribution with four terms, scaled to unit
// variance: close to a standard normal in the bulk, with no tails beyond ±2√3.
func irwinHall(rng *rand.Rand) float64 {
	s := rng.Float64() + rng.Float64() + rng.Float64() + rng.Float64()
	return (s - 2) * math.Sqrt(3)
}

// tinyTensors lists the required parameters of m as tensors of dtype dt, each generated when
// the writer reaches it.
func tinyTensors(m Module, seed uint64, dt DType) []OutTensor {
	var out []OutTensor
	for _, p := range m.Params() {
		if p.Optional {
			continue // the fixtures carry no position_ids either
		}
		out = append(out, OutTensor{Name: p.Name, DType: dt, Shape: p.Shape, Bytes: func() ([]byte, error) {
			vals := initValues(p, seed)
			if dt == F16 {
				return Float32ToF16(vals)
			}
			return float32Bytes(vals), nil
		}})
	}
	return out
}

func float32Bytes(vals []float32) []byte {
	out := make([]byte, 4*len(vals))
	for i, v := range vals {
		b := math.Float32bits(v)
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
	}
	return out
}
