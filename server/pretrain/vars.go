package pretrain

import (
	"fmt"
	"strings"

	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// variable returns the GoMLX variable that holds the described parameter of the network under
// root (sd.TextEncoderScope, sd.UNetScope or sd.VAEScope), where sd.Load put it: the parameter
// "a.b.weight" is the variable "weight" in scope root/a/b.
func variable(ctx *context.Context, root, param string) (*context.Variable, error) {
	scope, name := root, param
	if i := strings.LastIndexByte(param, '.'); i >= 0 {
		scope, name = root+"/"+strings.ReplaceAll(param[:i], ".", "/"), param[i+1:]
	}
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		return nil, fmt.Errorf("parameter %s has no variable %s/%s", param, scope, name)
	}
	return v, nil
}

// networkVariables returns every required parameter of m as its variable, in description order.
func networkVariables(ctx *context.Context, root string, m weights.Module) ([]*context.Variable, error) {
	var out []*context.Variable
	for _, p := range m.Params() {
		if p.Optional {
			continue
		}
		v, err := variable(ctx, root, p.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// setTrainable marks every parameter of the network m as trainable or frozen.
func setTrainable(ctx *context.Context, root string, m weights.Module, trainable bool) error {
	vars, err := networkVariables(ctx, root, m)
	if err != nil {
		return err
	}
	for _, v := range vars {
		v.SetTrainable(trainable)
	}
	return nil
}

// readParams copies the current values of the network's parameters to the host.
func readParams(ctx *context.Context, root string, m weights.Module) (map[string][]float32, error) {
	out := map[string][]float32{}
	for _, p := range m.Params() {
		if p.Optional {
			continue
		}
		v, err := variable(ctx, root, p.Name)
		if err != nil {
			return nil, err
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		data, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out[p.Name] = data
	}
	return out, nil
}

// sdRoots pairs each component folder with its scope in the variable store.
func sdRoots() map[string]string {
	return map[string]string{
		weights.TextEncoderDir: sd.TextEncoderScope,
		weights.UNetDir:        sd.UNetScope,
		weights.VAEDir:         sd.VAEScope,
	}
}
