package graph

import "sort"

// FamilyStat is the work of one kernel family in a graph.
type FamilyStat struct {
	Family     string
	Dispatches int
	FLOPs      float64
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
