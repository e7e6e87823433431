package engine

import (
	"strings"
	"testing"
)

// TestGenerateReportString checks that a generation report names the adapter, the steps and
// UNet evaluations, the median time, the counters and the first generation's compile cost.
func TestGenerateReportString(t *testing.T) {
	r := GenerateReport{Device: "llvmpipe", Size: 32, Steps: 4, Guided: 2, Seconds: 0.4567,
		Counts: Counts{Runs: 9, Dispatches: 1235, TextKV: 14, Guided: 56, BindGroups: 0}, First: 3.4, FirstPipelines: 41}
	s := r.String()
	for _, want := range []string{"generation on llvmpipe at 32x32 px, 4 steps (2 guided, 6 UNet evaluations): 0.46 s",
		"9 runs, 1235 dispatches (14 text K/V, 56 score statistics), 0 bind groups made",
		"the first, compiling 41 pipelines: 3.40 s"} {
		if !strings.Contains(s, want) {
			t.Errorf("report %q lacks %q", s, want)
		}
	}
}
