package nn

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// SiLU is x·sigmoid(x) (the UNet's and VAE's "silu").
func SiLU(x *Node) *Node { return Mul(x, Sigmoid(x)) }

// GELU is the exact, erf-based GELU (torch's default "gelu", also inside GEGLU).
func GELU(x *Node) *Node {
	return Mul(MulScalar(x, 0.5), OnePlus(Erf(MulScalar(x, 1/math.Sqrt2))))
}

// QuickGELU is x·sigmoid(1.702x), the activation of OpenAI's CLIP (SD 1.x text encoder).
func QuickGELU(x *Node) *Node { return Mul(x, Sigmoid(MulScalar(x, 1.702))) }

// Activation returns the activation a config names ("silu"/"swish", "gelu", "quick_gelu").
func Activation(name string) (func(*Node) *Node, error) {
	switch name {
	case "silu", "swish":
		return SiLU, nil
	case "gelu":
		return GELU, nil
	case "quick_gelu":
		return QuickGELU, nil
	}
	return nil, fmt.Errorf("unsupported activation %q (want silu, gelu or quick_gelu)", name)
}
