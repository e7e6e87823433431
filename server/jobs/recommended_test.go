package jobs

import (
	"net/http"
	"slices"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/subject"
)

// The API's defaults are the served model's recommendations: info reports them, a request that
// leaves options out trains with them, and the "model" sentence set is offered (and taken) only
// when the folder has sentences.
func TestDefaultsFromModel(t *testing.T) {
	v := fixture.Variants(t)[0]
	model := fixture.WithSettings(t, v.Dir, `{"format": "cones2-model-settings/1",
		"training": {"steps": 3, "lr": 0.002, "first_weight": 0.5, "second_weight": 0.25, "sentences": ["a {} here", "one {}"]},
		"example": {"prompt": "a dog", "subjects": ["dog"]}}`)
	s := startService(t, t.TempDir(), Config{Runner: &PipelineRunner{Dir: model, Limits: subject.DefaultImageLimits()}})
	in := s.info()
	want := Options{Steps: 3, LearningRate: 0.002, FirstWeight: 0.5, SecondWeight: 0.25, Sentences: subject.ModelSentences}
	if in.Defaults != want {
		t.Errorf("info defaults %+v, want the model's %+v", in.Defaults, want)
	}
	if !slices.Contains(in.Sentences, subject.ModelSentences) {
		t.Errorf("sentence sets %v lack the model's own", in.Sentences)
	}
	f := newForm(t, "dog", 2, 3)
	delete(f.fields, "steps")
	delete(f.fields, "lr")
	j := s.submit(f)
	if o := j.Options; o.Steps != 3 || o.LearningRate != 0.002 || o.FirstWeight != 0.5 || o.SecondWeight != 0.25 || o.Sentences != subject.ModelSentences {
		t.Errorf("job options %+v, want the model's defaults", o)
	}
	if j = s.waitEnd(j.ID); j.State != Done {
		t.Fatalf("job ended %s: %s", j.State, j.Error)
	}

	// The fixture folder itself has no cones.json: official defaults, no "model" set, and a
	// request for it is refused before anything is queued.
	plain := startService(t, t.TempDir(), Config{})
	in = plain.info()
	if d := subject.Defaults(); in.Defaults != apiOptions(d) {
		t.Errorf("info defaults %+v without cones.json, want the official %+v", in.Defaults, apiOptions(d))
	}
	if slices.Contains(in.Sentences, subject.ModelSentences) {
		t.Errorf("sentence sets %v offer the model's own, which this folder does not have", in.Sentences)
	}
	f = newForm(t, "dog", 2, 3)
	f.fields["sentences"] = subject.ModelSentences
	ct, body := f.body(t)
	var e apiError
	if code := plain.do("POST", "/api/train", ct, body, &e); code != http.StatusBadRequest || e.Code != "bad_option" || e.Field != "sentences" {
		t.Errorf("sentences=model without model sentences: %d %+v, want 400 bad_option on sentences", code, e)
	}
	if n := len(plain.m.List()); n != 0 {
		t.Errorf("the refused request queued %d jobs", n)
	}
}
