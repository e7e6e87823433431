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
	Bytes   float64 // gpugraph.OpBytes summed
	Seconds float64
}

// GBs is the family's memory throughput (gpugraph.OpBytes per second).
func (f BenchFamily) GBs() float64 {
	if f.Seconds == 0 {
		return 0
	}
	return f.Bytes / f.Seconds / 1e9
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
	Bytes      float64
	// Eval is the wall time of one whole evaluation (one submit, waited for): a guided
	// denoising step's UNet when Graph is the UNet.
	Eval float64
	// Unguided is the UNet evaluation of a step without layout guidance (no score statistics):
	// UnguidedDispatches dispatches in Unguided seconds (0 for other graphs).
	Unguided           float64
	UnguidedDispatches int
	// TextKV is, for the UNet, the once-per-generation projection of the text to every
	// cross-attention layer's keys and values: its dispatches, FLOPs and seconds.
	TextKVDispatches int
	TextKVFLOPs      float64
	TextKV           float64
	Families         []BenchFamily // by time, largest first; each dispatch timed alone
	Timer            string        // how dispatches were timed
}

func (r BenchReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %d dispatches, %.3f GFLOP, %.1f MB, %.3f s per evaluation (%.3f GFLOP/s, %.3f GB/s)\n",
		r.Graph, r.Device, r.Dispatches, r.FLOPs/1e9, r.Bytes/1e6, r.Eval, r.FLOPs/r.Eval/1e9, r.Bytes/r.Eval/1e9)
	if r.Unguided > 0 {
		fmt.Fprintf(&b, "  step without layout guidance: %d dispatches, %.3f s\n", r.UnguidedDispatches, r.Unguided)
	}
	if r.TextKVDispatches > 0 {
		fmt.Fprintf(&b, "  text K/V, once per generation: %d dispatches, %.4f GFLOP, %.3f s\n", r.TextKVDispatches, r.TextKVFLOPs/1e9, r.TextKV)
	}
	fmt.Fprintf(&b, "per kernel family (%s):\n", r.Timer)
	fmt.Fprintf(&b, "%-12s %6s %10s %9s %9s %9s %9s\n", "family", "calls", "GFLOP", "MB", "seconds", "GFLOP/s", "GB/s")
	for _, f := range r.Families {
		fmt.Fprintf(&b, "%-12s %6d %10.4f %9.2f %9.4f %9.3f %9.3f\n", f.Family, f.Calls, f.FLOPs/1e9, f.Bytes/1e6, f.Seconds, f.GFLOPs(), f.GBs())
	}
	return b.String()
}

// GenerateReport is the wall time of whole generations (text encoder, text K/V, every UNet
// evaluation, VAE decode) and what the engine counted during one.
type GenerateReport struct {
	Device        string
	Size          int
	Steps, Guided int
	Seconds       float64 // median over the repetitions
	Counts        Counts  // the counters' increase during one generation
	// First is the warm-up generation, which builds the programs and compiles FirstPipelines
	// pipelines (all of them when nothing ran before it: the wait for a page's first picture).
	First          float64
	FirstPipelines int
}

func (r GenerateReport) String() string {
	return fmt.Sprintf("generation on %s at %dx%d px, %d steps (%d guided, %d UNet evaluations): %.2f s; %d runs, %d dispatches (%d text K/V, %d score statistics), %d bind groups made",
		r.Device, r.Size, r.Size, r.Steps, r.Guided, r.Steps+r.Guided, r.Seconds, r.Counts.Runs, r.Counts.Dispatches, r.Counts.TextKV,
		r.Counts.Guided, r.Counts.BindGroups) + fmt.Sprintf("; the first, compiling %d pipelines: %.2f s", r.FirstPipelines, r.First)
}
