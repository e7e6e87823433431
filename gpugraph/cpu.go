package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/wgsl"
	"github.com/x448/float16"
)

// RunCPU executes g with the kernels' plain-Go references, activations living in the planned
// slots exactly as on the GPU (so a planning error shows up as a wrong number here too).
// weights maps parameter names to values (F for f32 tensors, H for f16); inputs are by name and
// may be changed (the std slot of "scalars" is written). It returns every output.
func RunCPU(g *Graph, p *Plan, weights map[string]wgsl.Mem, inputs map[string]wgsl.Mem) (map[string]wgsl.Mem, error) {
	slots := make([][]float32, len(p.Slots))
	for i, b := range p.Slots {
		slots[i] = make([]float32, b/4)
	}
	mem := make([]wgsl.Mem, len(g.Tensors))
	for i, t := range g.Tensors {
		switch t.Kind {
		case Activation:
			if p.Slot[i] >= 0 {
				mem[i] = wgsl.Mem{F: slots[p.Slot[i]]}
			}
		case Weight:
			w, ok := weights[t.Param]
			if !ok {
				return nil, fmt.Errorf("graph: no weights for %s", t.Param)
			}
			if w.Len() != t.Len || (t.DType == wgsl.F16) != (w.H != nil) {
				return nil, fmt.Errorf("graph: weight %s: %d values (f16 %v), want %d (%s)", t.Param, w.Len(), w.H != nil, t.Len, t.DType)
			}
			mem[i] = w
		case Input:
			in, ok := inputs[t.Name]
			if !ok {
				return nil, fmt.Errorf("graph: input %s not given", t.Name)
			}
			if in.Len() != t.Len {
				return nil, fmt.Errorf("graph: input %s has %d values, want %d", t.Name, in.Len(), t.Len)
			}
			mem[i] = in
		case Output:
			if t.DType == wgsl.U32 {
				mem[i] = wgsl.Mem{U: make([]uint32, t.Len)}
			} else {
				mem[i] = wgsl.Mem{F: make([]float32, t.Len)}
			}
		case Const:
			mem[i] = wgsl.Mem{F: t.Data}
		}
	}
	args := make([]wgsl.Mem, 0, 8)
	for i, op := range g.Ops {
		args = args[:0]
		for _, a := range op.Args {
			args = append(args, mem[a])
		}
		if err := op.Kernel.Ref(op.Params, args); err != nil {
			return nil, fmt.Errorf("graph: op %d (%s): %w", i, op.Name, err)
		}
	}
	out := map[string]wgsl.Mem{}
	for name, id := range g.Outputs {
		out[name] = mem[id]
	}
	return out, nil
}

// WeightMems converts float32 parameter values into the storage the graph's weight tensors
// expect (f16 bits for f16 tensors).
func WeightMems(g *Graph, values map[string][]float32) (map[string]wgsl.Mem, error) {
	out := map[string]wgsl.Mem{}
	for _, t := range g.Tensors {
		if t.Kind != Weight {
			continue
		}
		v, ok := values[t.Param]
		if !ok {
			return nil, fmt.Errorf("graph: no values for %s", t.Param)
		}
		if t.DType == wgsl.F16 {
			h := make([]uint16, len(v))
			for i, x := range v {
				h[i] = float16.Fromfloat32(x).Bits()
			}
			out[t.Param] = wgsl.Mem{H: h}
		} else {
			out[t.Param] = wgsl.Mem{F: v}
		}
	}
	return out, nil
}
