package e2e

import (
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// TestWarm checks engine.Warm, which the page runs once a model has loaded: it compiles
// pipelines, and a generation at the warmed size afterwards compiles none (its wait for the
// first picture is then the generation alone). A fresh page, so that no other test's pipelines
// are there already.
func TestWarm(t *testing.T) {
	v := fixture.Variants(t)[0]
	defer capture(t)()
	h := startHarness(t)
	defer h.page.Close()
	h.call(t, "load", map[string]any{"URL": "/fixtures/" + v.Name}, &h.info)
	const size = 64
	var counts struct{ Pipelines int }
	h.call(t, "warm", map[string]any{"Size": size}, &counts)
	if counts.Pipelines == 0 {
		t.Fatalf("warm compiled no pipeline")
	}
	var gen struct {
		Report struct{ FirstPipelines int }
		Text   string
	}
	h.call(t, "benchGen", map[string]any{"Size": size, "Steps": 2, "Guided": 1, "Reps": 1}, &gen)
	t.Logf("warm compiled %d pipelines; then %s", counts.Pipelines, gen.Text)
	if gen.Report.FirstPipelines != 0 {
		t.Errorf("the first generation after warm compiled %d pipelines, want 0", gen.Report.FirstPipelines)
	}
}
