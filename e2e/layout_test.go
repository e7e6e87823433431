package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/internal/fixture"
)

// layoutCases is cases.layout_sampling of a fixture variant.
type layoutCases struct {
	Prompt       string          `json:"prompt"`
	PromptIDs    []int           `json:"prompt_ids"`
	SubjectList  json.RawMessage `json:"subject_list"`
	ColorContext json.RawMessage `json:"color_context"`
	Layout       string          `json:"layout"`
	Runs         []struct {
		Key            string  `json:"key"`
		InferenceSteps int     `json:"inference_steps"`
		GuidanceSteps  int     `json:"guidance_steps"`
		GuidanceWeight float64 `json:"guidance_weight"`
		WeightNegative float64 `json:"weight_negative"`
		CFGScale       float64 `json:"cfg_scale"`
		Resolution     int     `json:"resolution"`
	} `json:"runs"`
}

func readLayoutCases(t *testing.T, v fixture.Variant) layoutCases {
	t.Helper()
	var c struct {
		LS layoutCases `json:"layout_sampling"`
	}
	v.Cases(t, &c)
	return c.LS
}

// fixtureOfficialConfig rebuilds the official inference configuration (guidance_config_example.json
// format) of run i and returns it with the layout PNG.
func fixtureOfficialConfig(t *testing.T, v fixture.Variant, ls layoutCases, i int) (cfg, png []byte) {
	t.Helper()
	r := ls.Runs[i]
	cfg, err := json.Marshal([]any{map[string]any{"prompt": ls.Prompt, "color_context": ls.ColorContext,
		"subject_list": ls.SubjectList, "guidance_steps": r.GuidanceSteps, "guidance_weight": r.GuidanceWeight,
		"weight_negative": r.WeightNegative, "layout": ls.Layout}})
	if err != nil {
		t.Fatal(err)
	}
	png, err = os.ReadFile(filepath.Join(v.Dir, ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, png
}

// fixtureLayout is the fixture's layout rasterised at size x size by cones/layout.
func fixtureLayout(t *testing.T, v fixture.Variant, size int) *layout.Weights {
	t.Helper()
	ls := readLayoutCases(t, v)
	cfg, png := fixtureOfficialConfig(t, v, ls, 0)
	l, s, err := layout.ImportOfficial(cfg, png)
	if err != nil {
		t.Fatal(err)
	}
	pos := make([][]int, len(l.Subjects))
	for i, sub := range l.Subjects {
		for _, st := range s.SubjectList {
			if st.Word == sub.Word {
				pos[i] = append(pos[i], st.Index)
			}
		}
	}
	w, err := l.Build(size, size, pos)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
