package gpugraph

import (
	"slices"
)

// Plan assigns every activation tensor of a graph to a shared buffer ("slot"): tensors whose
// lifetimes (first to last dispatch using them, inclusive) do not overlap may share one. It is
// greedy by size: the largest tensors pick slots first, each takes the smallest slot free for
// its whole lifetime, and a slot is as big as its first (largest) tenant.
type Plan struct {
	Slot  []int    // per tensor: its slot, or -1 for tensors with buffers of their own
	Slots []uint64 // slot sizes in bytes
}

// Bytes is the total size of the slots.
func (p *Plan) Bytes() uint64 {
	var s uint64
	for _, b := range p.Slots {
		s += b
	}
	return s
}

type interval struct{ first, last int }

// Lifetimes returns each tensor's first and last op index (-1, -1 when unused).
func (g *Graph) Lifetimes() []interval {
	life := make([]interval, len(g.Tensors))
	for i := range life {
		life[i] = interval{-1, -1}
	}
	for i, op := range g.Ops {
		for _, a := range op.Args {
			if life[a].first < 0 {
				life[a].first = i
			}
			life[a].last = i
		}
	}
	return life
}

// PlanMemory plans the activations of g.
func PlanMemory(g *Graph) *Plan {
	life := g.Lifetimes()
	p := &Plan{Slot: make([]int, len(g.Tensors))}
	var acts []int
	for i, t := range g.Tensors {
		p.Slot[i] = -1
		if t.Kind == Activation && life[i].first >= 0 {
			acts = append(acts, i)
		}
	}
	// largest first; ties by first use, for a deterministic plan
	slices.SortStableFunc(acts, func(a, b int) int {
		if x, y := g.Tensors[a].Bytes(), g.Tensors[b].Bytes(); x != y {
			if x > y {
				return -1
			}
			return 1
		}
		return life[a].first - life[b].first
	})
	var tenants [][]interval
	for _, t := range acts {
		need, l := g.Tensors[t].Bytes(), life[t]
		best := -1
		for s, ivs := range tenants {
			if p.Slots[s] < need || overlaps(ivs, l) {
				continue
			}
			if best < 0 || p.Slots[s] < p.Slots[best] {
				best = s
			}
		}
		if best < 0 {
			best = len(p.Slots)
			p.Slots = append(p.Slots, need)
			tenants = append(tenants, nil)
		}
		p.Slot[t] = best
		tenants[best] = append(tenants[best], l)
	}
	return p
}

func overlaps(ivs []interval, l interval) bool {
	for _, iv := range ivs {
		if iv.first <= l.last && l.first <= iv.last {
			return true
		}
	}
	return false
}
