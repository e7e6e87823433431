package sd

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// executor compiles a network's graphs once per kind (plain, guided, encode, ...) and input
// shapes, and serialises their runs: GoMLX caches one compiled graph per shape inside each Exec.
type executor struct {
	backend backends.Backend
	ctx     *context.Context
	mu      sync.Mutex
	execs   map[string]*context.Exec
}

func newExecutor(b backends.Backend, ctx *context.Context) *executor {
	return &executor{backend: b, ctx: ctx, execs: map[string]*context.Exec{}}
}

// graphFn builds a graph from its inputs.
type graphFn = func(ctx *context.Context, inputs []*Node) []*Node

// run executes the graph kind (built by fn the first time) on inputs and returns its outputs as
// float32 slices.
func (e *executor) run(kind string, fn graphFn, inputs ...*tensors.Tensor) ([][]float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	exec, ok := e.execs[kind]
	if !ok {
		var err error
		exec, err = context.NewExec(e.backend, e.ctx, fn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		e.execs[kind] = exec
	}
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = in
		defer in.FinalizeAll() // release device copies now rather than at garbage collection
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	res := make([][]float32, len(outs))
	for i, o := range outs {
		res[i], err = tensors.CopyFlatData[float32](o)
		o.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("%s: output %d: %w", kind, i, err)
		}
	}
	return res, nil
}
