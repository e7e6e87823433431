package gradcheck

import (
	"testing"

	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// The checker must accept a correct gradient and reject a wrong one, or the engine's gradient
// tests could not fail.
func TestCheckDetectsWrongGradient(t *testing.T) {
	b, err := simplego.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	in := []Input{Random(1, 3, 4)}
	if err := Check(b, func(x []*Node) *Node { return Mul(x[0], Sin(x[0])) }, in, 12, 1e-6); err != nil {
		t.Fatalf("correct gradient rejected: %v", err)
	}
	wrong := func(x []*Node) *Node {
		y := IdentityWithCustomGradient(x[0], func(_, v *Node) *Node { return MulScalar(v, 1.01) })
		return Mul(y, Sin(y))
	}
	if err := Check(b, wrong, in, 12, 1e-6); err == nil {
		t.Fatal("a gradient 1% off was accepted")
	}
}
