package engine

import (
	"fmt"
	"strings"
)

// BenchFamily is the measured time of one kernel family within a graph.
type BenchFamily struct {
	Family  string
	Calls   int
	FLOPs   float64
	Seconds float64
}

// GFLOPs is the family's throughput.
func (f BenchFamily) GFLOPs() float64 {
	if f.Seconds == 0 {
		return 0
	}
	return f.FLOPs / f.Seconds / 1e9
}

// BenchReport is a benchmark of one graph on the device.
type BenchReport struct {
	Graph      string
	Device     string
	Dispatches int
	FLOPs      float64
	// Eval is the wall time of one whole evaluation (one submit, waited for): a denoising
	// step's UNet when Graph is the UNet.
	Eval     float64
	Families []BenchFamily // by time, largest first; each dispatch timed alone
	Timer    string        // how dispatches were timed
}

func (r BenchReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %d dispatches, %.3f GFLOP, %.3f s per evaluation (%.2f GFLOP/s)\n",
		r.Graph, r.Device, r.Dispatches, r.FLOPs/1e9, r.Eval, r.FLOPs/r.Eval/1e9)
	fmt.Fprintf(&b, "per kernel family (%s):\n", r.Timer)
	fmt.Fprintf(&b, "%-12s %6s %10s %9s %9s\n", "family", "calls", "GFLOP", "seconds", "GFLOP/s")
	for _, f := range r.Families {
		fmt.Fprintf(&b, "%-12s %6d %10.4f %9.4f %9.3f\n", f.Family, f.Calls, f.FLOPs/1e9, f.Seconds, f.GFLOPs())
	}
	return b.String()
}
