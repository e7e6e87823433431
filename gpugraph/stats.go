package gpugraph

import "sort"

// FamilyStat is the work of one kernel family in a graph.
type FamilyStat struct {
	Family     string
	Dispatches int
	FLOPs      float64
	Bytes      float64 // OpBytes summed
}

// Families sums dispatches and FLOPs per kernel family, largest FLOPs first.
func (g *Graph) Families() []FamilyStat {
	m := map[string]*FamilyStat{}
	for _, op := range g.Ops {
		f := op.Kernel.Family()
		if m[f] == nil {
			m[f] = &FamilyStat{Family: f}
		}
		m[f].Dispatches++
		m[f].FLOPs += op.Kernel.FLOPs(op.Params)
	}
	for i, op := range g.Ops {
		m[op.Kernel.Family()].Bytes += g.OpBytes(i)
	}
	out := make([]FamilyStat, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].FLOPs != out[j].FLOPs {
			return out[i].FLOPs > out[j].FLOPs
		}
		return out[i].Family < out[j].Family
	})
	return out
}

// OpBytes is the memory traffic of dispatch i as the benchmarks count it: the size of every
// buffer it binds, each read (or written) once. It is exact for kernels that touch their whole
// arguments once (element-wise, norms) and a lower bound for tiled GEMMs that re-read tiles,
// an upper bound for dispatches over a slice of a larger buffer.
func (g *Graph) OpBytes(i int) float64 {
	var s float64
	for _, a := range g.Ops[i].Args {
		s += float64(g.Tensors[a].Bytes())
	}
	return s
}

// Bytes sums OpBytes over the graph.
func (g *Graph) Bytes() float64 {
	var s float64
	for i := range g.Ops {
		s += g.OpBytes(i)
	}
	return s
}
