package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Param returns the variable called name in ctx's scope as a node of g. A missing variable is a
// bug in the model description or the loader (loading is strict), so it panics the GoMLX way;
// executors recover it into an error.
func Param(ctx *context.Context, g *graph.Graph, name string) *graph.Node {
	v := ctx.GetVariableByScopeAndName(ctx.Scope(), name)
	if v == nil {
		panic(fmt.Errorf("nn: no parameter %q in scope %q", name, ctx.Scope()))
	}
	return v.ValueGraph(g)
}

// OptParam is Param for parameters that a layer may lack (for example a bias).
func OptParam(ctx *context.Context, g *graph.Graph, name string) *graph.Node {
	v := ctx.GetVariableByScopeAndName(ctx.Scope(), name)
	if v == nil {
		return nil
	}
	return v.ValueGraph(g)
}
