package generation

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/weights"
)

func pageModel(t *testing.T) (*tokenizer.Tokenizer, request.Model) {
	t.Helper()
	v := fixture.Variants(t)[0]
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(v.Dir, weights.TokenizerDir))
	if err != nil {
		t.Fatal(err)
	}
	return tok, request.Model{ID: residual.Model{Family: "sd2", TextEncoder: "0123456789abcdef"}, Networks: d, Scheduler: f.Scheduler}
}

func subject(t *testing.T, m request.Model, word string) library.Subject {
	t.Helper()
	w := m.Networks.TextEncoder.Width()
	r := &residual.Residual{Word: word, Tokens: 1, Width: w, Data: make([]float32, w), Model: m.ID, Created: time.Unix(0, 0).UTC()}
	r.Data[0] = 1
	file, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return library.Subject{ID: library.VectorID(r.Data), Word: word, Data: file}
}

// The page's request places the library subject at both occurrences of its word, and its
// record names the subject by its residual, keeps the layout and names the model.
func TestBuildRecordsWhatMadeTheImage(t *testing.T) {
	tok, m := pageModel(t)
	s := settings.Defaults(m.NativeSize(), m.NativeSize())
	s.Prompt, s.Seed = "a dog and a dog on the beach", 3
	l := &layout.Layout{Negative: layout.DefaultNegative, Subjects: []layout.Subject{
		{Word: "dog", Weight: 2.5, Boxes: []layout.Box{{X0: 0, Y0: 0, X1: 0.5, Y1: 1}}}}}
	dog := subject(t, m, "dog")
	c, rec, err := Build(tok, m, s, l, []library.Subject{dog})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []int
	for _, r := range c.Residuals {
		tokens = append(tokens, r.Token)
	}
	if !slices.Equal(tokens, []int{2, 5}) || len(c.Grids) == 0 {
		t.Errorf("residual rows at %v (want [2 5]), %d grids", tokens, len(c.Grids))
	}
	if len(rec.Subjects) != 1 || rec.Subjects[0] != (settings.Subject{Word: "dog", Residual: dog.ID}) ||
		!strings.Contains(string(rec.Layout), `"dog"`) || rec.Model != "sd2 0123456789abcdef" || rec.Seed != 3 {
		t.Errorf("record %+v", rec)
	}
	b, err := rec.Marshal()
	if err == nil {
		_, err = settings.Unmarshal(b)
	}
	if err != nil {
		t.Errorf("the record does not read back: %v", err)
	}
}

// A subject the library holds a broken file for, or one made for another model, is named.
func TestBuildNamesBadSubjects(t *testing.T) {
	tok, m := pageModel(t)
	s := settings.Defaults(m.NativeSize(), m.NativeSize())
	s.Prompt = "a dog and a mug"
	broken := subject(t, m, "dog")
	broken.Data = broken.Data[:10]
	if _, _, err := Build(tok, m, s, nil, []library.Subject{broken}); err == nil || !strings.Contains(err.Error(), "subject dog") {
		t.Errorf("broken file: %v", err)
	}
	other := m
	other.ID.TextEncoder = "fedcba9876543210"
	mug := subject(t, other, "mug")
	if _, _, err := Build(tok, m, s, nil, []library.Subject{mug}); err == nil || !strings.Contains(err.Error(), `residual "mug"`) {
		t.Errorf("another model's subject: %v", err)
	}
}
