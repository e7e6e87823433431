package layout

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// fixtureOfficial rebuilds the official configuration of a fixture variant from
// cases.layout_sampling (color_context, subject_list, prompt) with the negative weight of
// cases.unet_cones2, the call layout.ca_weight_orig was made for, and reads its layout PNG.
func fixtureOfficial(t *testing.T, v fixture.Variant) (cfg []byte, png []byte) {
	t.Helper()
	var cases struct {
		LS struct {
			Prompt       string          `json:"prompt"`
			SubjectList  json.RawMessage `json:"subject_list"`
			ColorContext json.RawMessage `json:"color_context"`
			Layout       string          `json:"layout"`
		} `json:"layout_sampling"`
		UNetCones2 struct {
			GuidanceWeight float64 `json:"guidance_weight"`
			WeightNegative float64 `json:"weight_negative"`
		} `json:"unet_cones2"`
	}
	v.Cases(t, &cases)
	ls, uc := cases.LS, cases.UNetCones2
	entry := map[string]any{
		"prompt":          ls.Prompt,
		"color_context":   ls.ColorContext, // raw: keeps the file's key order
		"subject_list":    ls.SubjectList,
		"guidance_steps":  1,
		"guidance_weight": uc.GuidanceWeight,
		"weight_negative": uc.WeightNegative,
		"layout":          ls.Layout,
	}
	cfg, err := json.Marshal([]any{entry})
	if err != nil {
		t.Fatal(err)
	}
	png, err = os.ReadFile(filepath.Join(v.Dir, ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, png
}

// positionsFromSubjectList gives each layout subject the subject_list indices of its word.
func positionsFromSubjectList(t *testing.T, l *Layout, s *Sampling) [][]int {
	t.Helper()
	pos := make([][]int, len(l.Subjects))
	for i, sub := range l.Subjects {
		for _, st := range s.SubjectList {
			if st.Word == sub.Word {
				pos[i] = append(pos[i], st.Index)
			}
		}
		if len(pos[i]) == 0 {
			t.Fatalf("subject %q not in subject_list", sub.Word)
		}
	}
	return pos
}

func TestOrigMatchesFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			cfg, png := fixtureOfficial(t, v)
			l, s, err := ImportOfficial(cfg, png)
			if err != nil {
				t.Fatal(err)
			}
			want := v.Tensor(t, "layout.ca_weight_orig")
			if len(want.Shape) != 3 || want.Shape[2] != ContextLen {
				t.Fatalf("fixture shape %v", want.Shape)
			}
			wt, err := l.Build(want.Shape[0], want.Shape[1], positionsFromSubjectList(t, l, s))
			if err != nil {
				t.Fatal(err)
			}
			got := wt.Orig()
			for i := range want.F32 {
				if math.Float32bits(got[i]) != math.Float32bits(want.F32[i]) {
					p, c := i/ContextLen, i%ContextLen
					t.Fatalf("pixel (%d,%d) token %d: got %g, want %g", p/wt.W, p%wt.W, c, got[i], want.F32[i])
				}
			}
			if len(got) != len(want.F32) {
				t.Fatalf("got %d values, want %d", len(got), len(want.F32))
			}
		})
	}
}
