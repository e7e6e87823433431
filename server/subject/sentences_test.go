package subject

import (
	"github.com/cones2web/cones2/weights"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

func TestSentenceSets(t *testing.T) {
	v := fixture.Variants(t)[0]
	_, tok := pipeline(t, v)
	want := map[string]int{OfficialSentences: 27, VariedSentences: variedCount}
	for _, name := range SentenceSets() {
		set := mustSentences(t, name)
		if len(set) != want[name] {
			t.Errorf("%s: %d sentences, want %d", name, len(set), want[name])
		}
		seen := map[string]bool{}
		for _, s := range set {
			if strings.Count(s, "{}") != 1 {
				t.Errorf("%s: %q does not hold the word's place exactly once", name, s)
			}
			if seen[s] {
				t.Errorf("%s: %q twice", name, s)
			}
			seen[s] = true
		}
		// Every sentence fits the text encoder with a long word and locates the word.
		for _, word := range []string{"dog", "sunglasses", "antidisestablishmentarianism"} {
			k, err := wordTokens(tok, word)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := sentenceIDs(tok, set, word, k); err != nil {
				t.Errorf("%s with %q: %v", name, word, err)
			}
		}
	}
	if _, err := SentenceSet("poems"); err == nil {
		t.Error("an unknown set was accepted")
	}
	// The varied set is stable: its hash is recorded in residual files.
	a, b := mustSentences(t, VariedSentences), mustSentences(t, VariedSentences)
	if !slices.Equal(a, b) || SentenceHash(a) != SentenceHash(b) || SentenceHash(a) == SentenceHash(mustSentences(t, OfficialSentences)) {
		t.Error("sentence hashes are not stable and distinct")
	}
}

// The word is located where the template puts it, even when it also occurs earlier.
func TestSentenceWordPlace(t *testing.T) {
	_, tok := pipeline(t, fixture.Variants(t)[0])
	ids, pos, err := sentenceIDs(tok, []string{"a photo of a {}", "a photo of a {}, beside another photo"}, "photo", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pos {
		if p != 5 {
			t.Errorf("sentence %d: word at %d, want 5 (after <|startoftext|> a photo of a)", i, p)
		}
		if got := tok.Token(ids[i][p]); !strings.HasPrefix(got, "photo") {
			t.Errorf("sentence %d: token %q at the word's place", i, got)
		}
	}
}

func TestCheckWord(t *testing.T) {
	for _, w := range []string{"dog", "sks", "my_mug", "o'neil", "Bär", "r2-d2"} {
		if err := CheckWord(w); err != nil {
			t.Errorf("%q: %v", w, err)
		}
	}
	for _, w := range []string{"", "two words", "a{}", strings.Repeat("x", MaxWordBytes+1), "tab\t", "../etc"} {
		if err := CheckWord(w); err == nil {
			t.Errorf("%q accepted", w)
		}
	}
}

func TestSeededDraws(t *testing.T) {
	s := Seeded(42)
	const images, steps = 3, 9
	count := make([]int, images)
	for step := range steps {
		a, err := s.Draw(step, images, 1000, 16)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := s.Draw(step, images, 1000, 16)
		if a.Image != b.Image || a.Timestep != b.Timestep || !slices.Equal(a.Noise, b.Noise) || !slices.Equal(a.EpsLatent, b.EpsLatent) {
			t.Fatalf("step %d drawn twice differs", step)
		}
		if a.Timestep < 0 || a.Timestep >= 1000 || slices.Equal(a.Noise, a.EpsLatent) {
			t.Errorf("step %d: timestep %d", step, a.Timestep)
		}
		count[a.Image]++
	}
	// Every epoch visits every image once.
	if !slices.Equal(count, []int{3, 3, 3}) {
		t.Errorf("images drawn %v times, want 3 each", count)
	}
	other, _ := Seeded(43).Draw(0, images, 1000, 16)
	first, _ := s.Draw(0, images, 1000, 16)
	if slices.Equal(other.Noise, first.Noise) {
		t.Error("two seeds give the same noise")
	}
	if _, err := s.Draw(0, 0, 1000, 16); err == nil {
		t.Error("no images accepted")
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*Options){
		"steps":         func(o *Options) { o.Steps = 0 },
		"resolution":    func(o *Options) { o.Resolution = MaxResolution + 1 },
		"lr":            func(o *Options) { o.LearningRate = 0 },
		"first_weight":  func(o *Options) { o.FirstWeight = -1 },
		"beta1/beta2":   func(o *Options) { o.Beta2 = 1 },
		"sentences":     func(o *Options) { o.Sentences = "none" },
		"max_grad_norm": func(o *Options) { o.MaxGradNorm = -0.5 },
		"instance":      func(o *Options) { o.Instance = "a {} and a {}" },
		"word_lr":       func(o *Options) { o.WordLR = 2 },
		"min_timestep":  func(o *Options) { o.MinTimestep = -1 },
	} {
		o := Defaults()
		change(&o)
		err := o.Validate()
		oe, ok := err.(*OptionError)
		if !ok || oe.Option != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
	s := Defaults().Settings()
	if s["steps"] != "3000" || s["lr"] != "5e-06" || s["sentences"] != "official" || s["instance"] != "{}" {
		t.Errorf("settings %v", s)
	}
}

func TestModelSentenceSetAndDefaults(t *testing.T) {
	r := weights.OfficialRecommended()
	if _, err := ModelSentenceSet(ModelSentences, r); err == nil {
		t.Error("a folder without sentences: want an error for the model set")
	}
	if o := ModelDefaults(r); o != Defaults() {
		t.Errorf("official recommendations: %+v, want Defaults %+v", o, Defaults())
	}
	r.Training = weights.RecommendedTraining{Steps: 150, LearningRate: 3e-3, FirstWeight: 1, SecondWeight: 2,
		Instance: "a {}", WordLR: 1e-2, MinTimestep: 100, Sentences: []string{"a {}", "a red square and a {}"}}
	got, err := ModelSentenceSet(ModelSentences, r)
	if err != nil || len(got) != 2 {
		t.Fatalf("model set: %v, %v", got, err)
	}
	o := ModelDefaults(r)
	if o.Steps != 150 || o.LearningRate != 3e-3 || o.FirstWeight != 1 || o.SecondWeight != 2 || o.Sentences != ModelSentences || o.Instance != "a {}" ||
		o.WordLR != 1e-2 || o.MinTimestep != 100 {
		t.Errorf("ModelDefaults: %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

func TestOptionsSummary(t *testing.T) {
	o := Defaults()
	if got, want := o.Summary(), "3000 steps at learning rate 5e-06, preservation weights 0.01 and 0.001, sentences official"; got != want {
		t.Errorf("official: %q, want %q", got, want)
	}
	o.WordLR, o.Instance, o.MinTimestep = 1e-2, "a {}", 500
	if got, want := o.Summary(), `3000 steps at learning rate 5e-06 (the word's token rows 0.01), preservation weights 0.01 and 0.001, sentences official, instance prompt "a {}", timesteps from 500`; got != want {
		t.Errorf("with options: %q, want %q", got, want)
	}
}
