//go:build js && wasm

package engine

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/webgpu/compute"
	"github.com/cones2web/cones2/wgsl"
)

// Program is a graph made ready on the GPU: buffers for its planned activation slots, inputs,
// outputs and constants, weights bound from the loaded model, and one prepared call per dispatch.
// Running it records every dispatch into one command buffer and submits it once.
type Program struct {
	G     *gpugraph.Graph
	r     *compute.Runner
	bufs  []*webgpu.Buffer // per tensor
	calls []*compute.Call
	owned []*webgpu.Buffer
	// counts, when set, accumulates the runs and dispatches of the program (the engine's)
	counts *Counts
}

// NewProgram prepares g. weights maps parameter names to loaded buffers; bind maps input names
// to existing buffers (another program's output) instead of new ones.
func NewProgram(ctx context.Context, r *compute.Runner, g *gpugraph.Graph, weights map[string]*Weight,
	bind map[string]*webgpu.Buffer) (*Program, error) {
	p := &Program{G: g, r: r, bufs: make([]*webgpu.Buffer, len(g.Tensors))}
	if err := p.allocate(weights, bind); err != nil {
		p.Release()
		return nil, err
	}
	args := make([]*webgpu.Buffer, 0, 8)
	for i, op := range g.Ops {
		args = args[:0]
		for _, a := range op.Args {
			args = append(args, p.bufs[a])
		}
		c, err := r.Prepare(ctx, fmt.Sprintf("%s#%d", op.Name, i), op.Kernel, op.Params, args)
		if err != nil {
			p.Release()
			return nil, err
		}
		p.calls = append(p.calls, c)
	}
	return p, nil
}

func (p *Program) allocate(weights map[string]*Weight, bind map[string]*webgpu.Buffer) error {
	g, dev := p.G, p.r.Dev
	plan := gpugraph.PlanMemory(g)
	slots := make([]*webgpu.Buffer, len(plan.Slots))
	for i, size := range plan.Slots {
		b, err := dev.CreateBuffer(fmt.Sprintf("slot %d", i), size, compute.StorageUsage)
		if err != nil {
			return err
		}
		slots[i] = b
		p.owned = append(p.owned, b)
	}
	for i, t := range g.Tensors {
		switch t.Kind {
		case gpugraph.Activation:
			if plan.Slot[i] >= 0 {
				p.bufs[i] = slots[plan.Slot[i]]
			}
			continue
		case gpugraph.Weight:
			w, ok := weights[t.Param]
			if !ok {
				return fmt.Errorf("engine: weight %s is not loaded", t.Param)
			}
			if w.DType != t.DType {
				return fmt.Errorf("engine: weight %s is loaded as %s, the graph wants %s", t.Param, w.DType, t.DType)
			}
			p.bufs[i] = w.Buf
			continue
		case gpugraph.Input:
			if b, ok := bind[t.Name]; ok {
				if b.Size() < t.Bytes() {
					return fmt.Errorf("engine: input %s bound to %d bytes, needs %d", t.Name, b.Size(), t.Bytes())
				}
				p.bufs[i] = b
				continue
			}
		}
		b, err := dev.CreateBuffer(t.Name, t.Bytes(), compute.StorageUsage)
		if err != nil {
			return err
		}
		p.owned = append(p.owned, b)
		p.bufs[i] = b
		if t.Kind == gpugraph.Const {
			if err := dev.Write(b, 0, compute.Bytes(wgsl.Mem{F: t.Data})); err != nil {
				return err
			}
		}
	}
	return nil
}

// Buffer returns the buffer of the named input or output.
func (p *Program) Buffer(name string) (*webgpu.Buffer, error) {
	if id, ok := p.G.Inputs[name]; ok {
		return p.bufs[id], nil
	}
	if id, ok := p.G.Outputs[name]; ok {
		return p.bufs[id], nil
	}
	return nil, fmt.Errorf("engine: graph has no input or output %q", name)
}

// SetF32 writes float32 values into the named input at element offset off.
func (p *Program) SetF32(name string, off int, v []float32) error {
	b, err := p.Buffer(name)
	if err != nil {
		return err
	}
	return p.r.Dev.Write(b, uint64(4*off), compute.Bytes(wgsl.Mem{F: v}))
}

// SetU32 writes uint32 values into the named input.
func (p *Program) SetU32(name string, v []uint32) error {
	b, err := p.Buffer(name)
	if err != nil {
		return err
	}
	return p.r.Dev.Write(b, 0, compute.Bytes(wgsl.Mem{U: v}))
}

// ReadF32 reads the named output (or input) back.
func (p *Program) ReadF32(ctx context.Context, name string) ([]float32, error) {
	id, ok := p.G.Outputs[name]
	if !ok {
		id, ok = p.G.Inputs[name]
	}
	if !ok {
		return nil, fmt.Errorf("engine: graph has no output %q", name)
	}
	return compute.ReadF32(ctx, p.r.Dev, p.bufs[id], 0, p.G.Tensors[id].Len)
}

// ReadU32 reads the named uint32 output back.
func (p *Program) ReadU32(ctx context.Context, name string) ([]uint32, error) {
	id, ok := p.G.Outputs[name]
	if !ok {
		return nil, fmt.Errorf("engine: graph has no output %q", name)
	}
	return compute.ReadU32(ctx, p.r.Dev, p.bufs[id], 0, p.G.Tensors[id].Len)
}

// Record appends every dispatch to e.
func (p *Program) Record(e *webgpu.Encoder) { p.record(e, true) }

// record appends the dispatches to e, those marked Guided only when guided.
func (p *Program) record(e *webgpu.Encoder, guided bool) {
	for i, c := range p.calls {
		op := &p.G.Ops[i]
		if op.Guided && !guided {
			continue
		}
		c.Record(e)
		if p.counts != nil {
			p.counts.Dispatches++
			if op.TextKV {
				p.counts.TextKV++
			}
			if op.Guided {
				p.counts.Guided++
			}
		}
	}
	if p.counts != nil {
		p.counts.Runs++
	}
}

// Run records the program into one command buffer and submits it.
func (p *Program) Run() error { return p.RunStep(true) }

// RunStep is Run for one denoising evaluation: without guided, the dispatches only layout
// guidance needs (the score statistics) are left out.
func (p *Program) RunStep(guided bool) error {
	e := p.r.Dev.NewEncoder()
	p.record(e, guided)
	if err := e.Submit(); err != nil {
		return err
	}
	return p.r.Dev.Err()
}

// Calls are the prepared dispatches, in order (for benchmarks).
func (p *Program) Calls() []*compute.Call { return p.calls }

// Release frees the program's own buffers (not weights or bound inputs).
func (p *Program) Release() {
	for _, c := range p.calls {
		c.Release()
	}
	for _, b := range p.owned {
		b.Destroy()
	}
	p.calls, p.owned = nil, nil
}
