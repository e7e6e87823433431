package wgsl

import (
	"fmt"
	"math"
)

// Act is an activation fused into a kernel's epilogue.
type Act uint8

const (
	ActNone      Act = iota
	ActGELU          // exact (erf) GELU
	ActQuickGELU     // x * sigmoid(1.702 x), CLIP in SD 1.x
	ActSiLU          // x * sigmoid(x)
)

func (a Act) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActGELU:
		return "gelu"
	case ActQuickGELU:
		return "quick_gelu"
	case ActSiLU:
		return "silu"
	}
	return fmt.Sprintf("act(%d)", uint8(a))
}

// ParseAct maps a config's activation name (hidden_act, act_fn) to an Act.
func ParseAct(name string) (Act, error) {
	switch name {
	case "gelu":
		return ActGELU, nil
	case "quick_gelu":
		return ActQuickGELU, nil
	case "silu", "swish":
		return ActSiLU, nil
	}
	return ActNone, fmt.Errorf("wgsl: unsupported activation %q (want gelu, quick_gelu or silu)", name)
}

// Apply is the float64 reference of the activation.
func (a Act) Apply(x float64) float64 {
	switch a {
	case ActGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case ActQuickGELU:
		return x / (1 + math.Exp(-1.702*x))
	case ActSiLU:
		return x / (1 + math.Exp(-x))
	}
	return x
}
