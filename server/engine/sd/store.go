package sd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Scopes of the three networks in the variable store. The parameter "a.b.c.weight" of the UNet
// is the variable "weight" in scope /unet/a/b/c, so a trainer selects a network's variables by
// scope (and marks the frozen ones untrainable).
const (
	TextEncoderScope = "/" + weights.TextEncoderDir
	UNetScope        = "/" + weights.UNetDir
	VAEScope         = "/" + weights.VAEDir
)

// variableScope splits a diffusers parameter name into the variable's scope under root and its
// name.
func variableScope(root, param string) (scope, name string) {
	i := strings.LastIndexByte(param, '.')
	if i < 0 {
		return root, param
	}
	return root + "/" + strings.ReplaceAll(param[:i], ".", "/"), param[i+1:]
}

// addVariables creates one variable per loaded tensor under root. The tensors were bound
// strictly to the description (weights.LoadFloat32), so names and shapes are already checked.
func addVariables(ctx *context.Context, root string, loaded map[string]weights.Tensor) (err error) {
	names := make([]string, 0, len(loaded))
	for n := range loaded {
		names = append(names, n)
	}
	sort.Strings(names)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("create variables under %s: %v", root, r)
		}
	}()
	for _, n := range names {
		t := loaded[n]
		scope, name := variableScope(root, n)
		ctx.InAbsPath(scope).VariableWithValue(name, tensors.FromFlatDataAndDimensions(t.Data, t.Shape...))
	}
	return nil
}

// builder reads one network's parameters into a graph by their description names.
type builder struct {
	ctx  *context.Context
	g    *Graph
	root string // TextEncoderScope, UNetScope or VAEScope
	// probe, when not nil, collects the cross-attention probabilities of every layer.
	probe *attentionProbe
}

// attentionProbe collects cross-attention maps while a graph is built, in forward order.
type attentionProbe struct{ maps []*Node }

// param returns the variable of a described parameter. A missing one means the store was not
// loaded from this description: a programming error, raised the GoMLX way (executors turn the
// panic into an error).
func (b builder) param(name string) *Node {
	scope, n := variableScope(b.root, name)
	v := b.ctx.GetVariableByScopeAndName(scope, n)
	if v == nil {
		panic(fmt.Errorf("sd: parameter %s (%s/%s) is not loaded", name, scope, n))
	}
	return v.ValueGraph(b.g)
}
