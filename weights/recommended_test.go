package weights

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestRecommendedDefaultsWithoutFile(t *testing.T) {
	r, err := LoadRecommended(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Sampling.GuidanceWeight != 0.08 || r.Training.Steps != 3000 || r.Training.LearningRate != 5e-6 {
		t.Errorf("a folder without %s: got %+v, want the official settings", RecommendedName, r)
	}
}

func TestRecommendedPartialFileKeepsOfficialValues(t *testing.T) {
	r, err := ParseRecommended([]byte(`{"format":"` + RecommendedFormat + `","sampling":{"guidance_weight":1.5},
		"training":{"lr":3e-3,"sentences":["a {}","a red square and a {}"]},
		"example":{"prompt":"a red circle","subjects":["red circle"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Sampling.GuidanceWeight != 1.5 || r.Sampling.Steps != 50 || r.Training.LearningRate != 3e-3 ||
		r.Training.Steps != 3000 || len(r.Training.Sentences) != 2 || r.Example.Subjects[0] != "red circle" {
		t.Errorf("got %+v", r)
	}
	again, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := ParseRecommended(again); err != nil || r2.Training.LearningRate != r.Training.LearningRate {
		t.Errorf("round trip: %+v, %v", r2, err)
	}
}

func TestRecommendedRefusesBadFiles(t *testing.T) {
	f := `"format":"` + RecommendedFormat + `"`
	for name, body := range map[string]string{
		"unknown key":      `{` + f + `,"sampling":{"stepz":3}}`,
		"wrong format":     `{"format":"other/1"}`,
		"no format":        `{}`,
		"guided > steps":   `{` + f + `,"sampling":{"steps":10,"guided_steps":11}}`,
		"zero lr":          `{` + f + `,"training":{"lr":0}}`,
		"template no slot": `{` + f + `,"training":{"sentences":["a circle"]}}`,
		"instance two":     `{` + f + `,"training":{"instance":"{} {}"}}`,
		"subject missing":  `{` + f + `,"example":{"prompt":"a circle","subjects":["square"]}}`,
		"trailing":         `{` + f + `} {}`,
		"not json":         `sampling: 3`,
	} {
		if _, err := ParseRecommended([]byte(body)); err == nil || !strings.Contains(err.Error(), RecommendedName) {
			t.Errorf("%s: err %v, want an error naming %s", name, err, RecommendedName)
		}
	}
}
