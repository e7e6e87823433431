package pretrain

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/cones2web/cones2/weights"
)

// Initialisation of a model trained from scratch, in the spirit of latent diffusion's: weights
// drawn with standard deviation 1/sqrt(fan_in) (fan_in = inputs × kernel area), which keeps
// activations at unit scale; norms at weight 1 and bias 0; biases 0; token embeddings with
// standard deviation 0.02 and position embeddings 0.01 (CLIP's). In the UNet the last layer of
// every residual branch (resnet conv2, transformer proj_out) and the output convolution start
// at zero ("zero modules"), so the untrained UNet is the identity on its skip paths and
// training starts from a stable network.
//
// Every parameter draws from its own PCG stream keyed by the seed and a hash of its name, so a
// value does not depend on the order parameters are visited.

// zeroInUNet are the name endings of the UNet parameters that start at zero.
var zeroInUNet = []string{".conv2.weight", ".proj_out.weight", "conv_out.weight"}

// initValues returns the initial values of every required parameter of m (component dir).
func initValues(dir string, m weights.Module, seed uint64) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.Params() {
		if p.Optional {
			continue
		}
		out[p.Name] = initParam(dir, p, seed)
	}
	return out
}

func initParam(dir string, p weights.Param, seed uint64) []float32 {
	vals := make([]float32, p.NumElements())
	std := 0.0
	switch {
	case strings.HasSuffix(p.Name, ".bias"):
		return vals
	case len(p.Shape) == 1: // a norm's weight
		for i := range vals {
			vals[i] = 1
		}
		return vals
	case strings.HasSuffix(p.Name, "token_embedding.weight"):
		std = 0.02
	case strings.HasSuffix(p.Name, "position_embedding.weight"):
		std = 0.01
	case dir == weights.UNetDir && hasAnySuffix(p.Name, zeroInUNet):
		return vals
	default:
		fanIn := 1
		for _, d := range p.Shape[1:] {
			fanIn *= d
		}
		std = 1 / math.Sqrt(float64(fanIn))
	}
	h := fnv.New64a()
	h.Write([]byte(dir + "/" + p.Name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	for i := range vals {
		vals[i] = float32(std * rng.NormFloat64())
	}
	return vals
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
