package dotgrad

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

var register sync.Once

// Register replaces GoMLX's gradient of DotGeneral by the one of this package, once per process.
// GoMLX documents its VJPRegistration table as the place to change gradients; the replacement
// falls back to the original for the cases it does not handle (gradients of non-scalar outputs,
// or a node whose axes cannot be read).
func Register() {
	register.Do(func() {
		orig := VJPRegistration[NodeTypeDotGeneral]
		VJPRegistration[NodeTypeDotGeneral] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
			ax, err := axesOf(node)
			if err != nil || !outputShape.IsScalar() {
				return orig(node, v, outputShape)
			}
			return vjp(node.Inputs()[0], node.Inputs()[1], ax, v[0])
		}
	})
}

// axes are a DotGeneral's contracting and batch axes.
type axes struct {
	lhsContract, lhsBatch, rhsContract, rhsBatch []int
}

// axesOf reads a DotGeneral node's axes. GoMLX keeps them in an unexported struct with no
// accessor; reflection reads them without modifying anything.
func axesOf(node *Node) (ax axes, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dotgrad: cannot read the axes of %s: %v", node, r)
		}
	}()
	in := reflect.ValueOf(node).Elem().FieldByName("inputs").Elem().Elem()
	ints := func(name string) []int {
		f := in.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	ax = axes{ints("lhsContractingAxes"), ints("lhsBatchAxes"), ints("rhsContractingAxes"), ints("rhsBatchAxes")}
	if len(ax.lhsContract) != len(ax.rhsContract) || len(ax.lhsBatch) != len(ax.rhsBatch) {
		return ax, fmt.Errorf("dotgrad: inconsistent axes %+v", ax)
	}
	return ax, nil
}

// crossAxes are the axes of an operand of rank r that are neither contracted nor batch, in
// order: they appear in the product's output in this order.
func crossAxes(r int, contract, batch []int) []int {
	var out []int
	for a := range r {
		if !slices.Contains(contract, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

// vjp returns the gradients of lhs and rhs given v, the gradient of their product
// ([batch..., lhs cross..., rhs cross...]).
func vjp(lhs, rhs *Node, ax axes, v *Node) []*Node {
	lCross := crossAxes(lhs.Rank(), ax.lhsContract, ax.lhsBatch)
	rCross := crossAxes(rhs.Rank(), ax.rhsContract, ax.rhsBatch)
	nb := len(ax.lhsBatch)
	batchV := iota(0, nb)
	vL := iota(nb, len(lCross))             // v's lhs-cross axes
	vR := iota(nb+len(lCross), len(rCross)) // v's rhs-cross axes
	gl := DotGeneral(v, vR, batchV, rhs, rCross, ax.rhsBatch)
	gr := DotGeneral(v, vL, batchV, lhs, lCross, ax.lhsBatch)
	return []*Node{
		arrange(gl, lhs.Rank(), ax.lhsBatch, lCross, ax.lhsContract, ax.rhsContract),
		arrange(gr, rhs.Rank(), ax.rhsBatch, rCross, ax.rhsContract, ax.lhsContract),
	}
}

// arrange transposes g ([batch..., own cross..., other operand's contracted axes in its axis
// order]) into the operand's own axis order. own and other contracting axes are paired by
// position.
func arrange(g *Node, rank int, batch, cross, ownContract, otherContract []int) *Node {
	sortedOther := slices.Sorted(slices.Values(otherContract))
	perm := make([]int, rank)
	for i, a := range batch {
		perm[a] = i
	}
	for i, a := range cross {
		perm[a] = len(batch) + i
	}
	for q, a := range ownContract {
		perm[a] = len(batch) + len(cross) + slices.Index(sortedOther, otherContract[q])
	}
	identity := true
	for i, p := range perm {
		identity = identity && i == p
	}
	if identity {
		return g
	}
	return TransposeAllAxes(g, perm...)
}

func iota(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}
