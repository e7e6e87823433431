package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/server/pretrain"
	"github.com/cones2web/cones2/server/subject"
)

// TestEvaluateEndToEnd trains a test-sized shapes model for a few steps and runs every section
// of the evaluation on it with one seed each, customisation included: the pipeline runs, the
// report has every table with its counts, and the grids are written. (The numbers of such a
// model mean nothing; docs/evaluation.md has the default model's.)
func TestEvaluateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	o := pretrain.DefaultOptions(filepath.Join(dir, "work"), filepath.Join(dir, "model"))
	o.Sizes = pretrain.TestSizes()
	o.VAE.Steps, o.VAE.Batch, o.Diffusion.Steps, o.Diffusion.Batch = 2, 2, 2, 2
	if err := pretrain.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(o.Out)
	cfg.Suite = Suite{Seeds: 1, LayoutPrompts: 1, ConfusionPairs: 1, CustomSeeds: 1, CustomLayouts: 1, SceneSeed: 1000, FirstSampleSeed: 1}
	cfg.Settings.Steps, cfg.Settings.GuidanceSteps = 2, 2
	cfg.Custom.Subject = subject.ModelDefaults(pretrain.DefaultRecommended())
	cfg.Custom.Subject.Steps, cfg.Custom.EmbeddingSteps = 2, 2
	rep, err := Evaluate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	subjects, methods := len(CustomSubjects()), len(CustomMethods())
	if want := 21 + 4 + 4 + 2 + subjects*methods + 2*(methods-1); len(rep.Generated) != want {
		t.Errorf("%d generations, want %d", len(rep.Generated), want)
	}
	var b strings.Builder
	rep.WriteMarkdown(&b)
	md := b.String()
	for _, want := range []string{"Text adherence", "strengthen only", "weaken only", "Attribute confusion", MethodResidual, MethodEmbedding, MethodTuned, "/21)", "/2)", "change at the word"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	grids := filepath.Join(dir, "grids")
	if err := rep.WriteGrids(grids, 2); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(grids)
	if err != nil || len(entries) < 10 {
		t.Errorf("%d grids, %v", len(entries), err)
	}
}
