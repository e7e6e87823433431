package conesfixture

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
)

// Run is one entry of cases.layout_sampling.runs.
type Run struct {
	Key            string  `json:"key"`
	InferenceSteps int     `json:"inference_steps"`
	GuidanceSteps  int     `json:"guidance_steps"`
	GuidanceWeight float64 `json:"guidance_weight"`
	WeightNegative float64 `json:"weight_negative"`
	CFGScale       float64 `json:"cfg_scale"`
	Resolution     int     `json:"resolution"`
	Scheduler      string  `json:"scheduler"`
	NoiseDraws     int     `json:"noise_draws"`
	Seed           int64   `json:"seed"`
}

// LayoutSampling is cases.layout_sampling.
type LayoutSampling struct {
	Prompt       string            `json:"prompt"`
	PromptIDs    []int             `json:"prompt_ids"`
	SubjectList  json.RawMessage   `json:"subject_list"`
	ColorContext json.RawMessage   `json:"color_context"`
	Layout       string            `json:"layout"`
	Residuals    map[string]string `json:"residuals"`
	Runs         []Run             `json:"runs"`
}

// UNetCones2 is cases.unet_cones2.
type UNetCones2 struct {
	Timestep       float64 `json:"timestep"`
	Sigma          float64 `json:"sigma"`
	GuidanceWeight float64 `json:"guidance_weight"`
	WeightNegative float64 `json:"weight_negative"`
}

// Cases is the part of cases.json these tests read.
type Cases struct {
	LayoutSampling LayoutSampling `json:"layout_sampling"`
	UNetCones2     UNetCones2     `json:"unet_cones2"`
}

// Read decodes the variant's cases and fails the test when no run is listed.
func Read(t testing.TB, v fixture.Variant) Cases {
	t.Helper()
	var c Cases
	v.Cases(t, &c)
	if len(c.LayoutSampling.Runs) == 0 {
		t.Fatalf("%s: cases.json lists no layout_sampling runs", v.Name)
	}
	return c
}

// OfficialLayout imports the variant's colour layout the way the official inference script
// does: an official configuration entry (rebuilt from cases.layout_sampling, with the given
// negative weight) plus the PNG.
func OfficialLayout(t testing.TB, v fixture.Variant, ls LayoutSampling, negative float64) *layout.Layout {
	t.Helper()
	entry := map[string]any{
		"prompt":          ls.Prompt,
		"color_context":   ls.ColorContext, // raw: keeps the file's key order
		"subject_list":    ls.SubjectList,
		"guidance_steps":  0,
		"guidance_weight": 0,
		"weight_negative": negative,
		"layout":          ls.Layout,
	}
	cfg, err := json.Marshal([]any{entry})
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(v.Dir, ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := layout.ImportOfficial(cfg, png)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Tokenizer loads the variant's tokenizer folder.
func Tokenizer(t testing.TB, v fixture.Variant) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(filepath.Join(v.Dir, "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
