package prompt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
)

func tokenizers(t *testing.T) map[string]*tokenizer.Tokenizer {
	out := map[string]*tokenizer.Tokenizer{}
	for _, v := range fixture.Variants(t) {
		tok, err := tokenizer.Load(v.Dir + "/tokenizer")
		if err != nil {
			t.Fatal(err)
		}
		out[v.Name] = tok
	}
	return out
}

func marked(prompt string, a Analysis) []string {
	var out []string
	for _, m := range a.Marks {
		out = append(out, prompt[m.Start:m.End])
	}
	return out
}

func TestBindsSubjectsAndPlacedWords(t *testing.T) {
	for name, tok := range tokenizers(t) {
		t.Run(name, func(t *testing.T) {
			p := "A mug and a  DOG on the beach, dog"
			a := Analyze(tok, p, []string{"dog", "cat"}, []string{"mug", "dog"})
			if len(a.Problems) != 0 {
				t.Fatalf("problems %v", a.Problems)
			}
			if got := strings.Join(marked(p, a), "|"); got != "mug|DOG|dog" {
				t.Errorf("marks %q", got)
			}
			if a.Marks[0].Kind != Placed || a.Marks[1].Kind != Subject {
				t.Errorf("kinds %+v", a.Marks)
			}
			if len(a.Bindings) != 2 || a.Bindings[0].Word != "dog" || !a.Bindings[0].Residual || !a.Bindings[0].Placed ||
				a.Bindings[1].Word != "mug" || a.Bindings[1].Residual {
				t.Fatalf("bindings %+v", a.Bindings)
			}
		})
	}
}

// Each fixture's own prompt binds its subjects at the tokens cases.layout_sampling.subject_list
// gives, counts the tokens of its prompt_ids and has the context the official ids are padded to.
func TestBindsFixtureSubjects(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			tok, err := tokenizer.Load(v.Dir + "/tokenizer")
			if err != nil {
				t.Fatal(err)
			}
			ls := v.Layout(t)
			var cases struct {
				Padded []struct {
					IDs []int `json:"ids"`
				} `json:"tokenizer"`
			}
			v.Cases(t, &cases)
			if len(cases.Padded) == 0 {
				t.Fatal("cases.json has no padded tokenizer cases")
			}
			limit := len(cases.Padded[0].IDs) // the context the official ids are padded to
			want := map[string][]int{}
			var words []string
			for _, s := range ls.Subjects {
				if want[s.Word] == nil {
					words = append(words, s.Word)
				}
				want[s.Word] = append(want[s.Word], s.Index)
			}
			b := Analyze(tok, ls.Prompt, words, nil)
			if len(b.Problems) != 0 || len(b.Bindings) != len(words) || b.Tokens != len(ls.PromptIDs) || b.Limit != limit {
				t.Fatalf("bindings %+v, %d tokens of %d, problems %v", b.Bindings, b.Tokens, b.Limit, b.Problems)
			}
			for _, bd := range b.Bindings {
				var got []int
				for _, p := range bd.Positions {
					got = append(got, p[0])
				}
				slices.Sort(got)
				if w := slices.Sorted(slices.Values(want[bd.Word])); !slices.Equal(got, w) {
					t.Errorf("%q at tokens %v, subject_list says %v", bd.Word, got, w)
				}
			}
		})
	}
}

func TestProblems(t *testing.T) {
	for name, tok := range tokenizers(t) {
		t.Run(name, func(t *testing.T) {
			long := strings.Repeat("tree ", 80) + "dog"
			tests := []struct {
				name     string
				prompt   string
				subjects []string
				placed   []string
				want     []error
				mention  string
			}{
				{"empty", "   ", nil, nil, []error{ErrEmpty}, "Type a prompt"},
				{"missing layout word", "a mug on the beach", []string{"dog"}, []string{"dog", "mug"}, []error{ErrMissingSubject}, `"dog" has boxes`},
				{"unused library word is fine", "a mug", []string{"dog"}, nil, nil, ""},
				{"too long and word cut off", long, []string{"dog"}, nil, []error{ErrTooLong, ErrTruncated}, "shorten it by 6"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					a := Analyze(tok, tt.prompt, tt.subjects, tt.placed)
					if len(a.Problems) != len(tt.want) {
						t.Fatalf("problems %v, want %v", a.Problems, tt.want)
					}
					for i, w := range tt.want {
						if !errors.Is(a.Problems[i], w) {
							t.Errorf("problem %d = %v, want %v", i, a.Problems[i], w)
						}
					}
					if tt.mention != "" && !strings.Contains(a.Problems[0].Error(), tt.mention) {
						t.Errorf("%v does not mention %q", a.Problems[0], tt.mention)
					}
				})
			}
			a := Analyze(tok, long, nil, nil)
			if a.Tokens != 83 || len(a.Marks) != 1 || a.Marks[0].Kind != Over {
				t.Fatalf("tokens %d marks %+v", a.Tokens, a.Marks)
			}
			// 75 text tokens are kept: 75 "tree" words; the cut starts at the 76th.
			if cut := long[a.Marks[0].Start:]; cut != "tree tree tree tree tree dog" {
				t.Errorf("cut-off text %q", cut)
			}
		})
	}
}

func TestSegmentsTileThePrompt(t *testing.T) {
	p := "a dog and a mug and more"
	marks := []Mark{{Start: 2, End: 5, Word: "dog"}, {Start: 12, End: 24, Kind: Over}, {Start: 12, End: 15, Word: "mug"}}
	segs := Segments(p, marks)
	var b strings.Builder
	var got []string
	for _, s := range segs {
		b.WriteString(s.Text)
		if s.Marked {
			got = append(got, s.Text)
		}
	}
	if b.String() != p {
		t.Errorf("segments rebuild %q", b.String())
	}
	if strings.Join(got, "|") != "dog|mug and more" {
		t.Errorf("marked %q", got)
	}
	if len(Segments("", nil)) != 0 {
		t.Error("segments of empty prompt")
	}
}

func TestChoices(t *testing.T) {
	got := Choices(nil, "A Mug and a dog on the 'beach', dog-park; café", nil, []string{"Dog", "sks"}, []string{"tree", "mug"})
	want := "dog,sks,mug,beach,dog-park,café,tree"
	if strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if len(Choices(nil, "", nil, nil, nil)) != 0 {
		t.Error("choices of nothing")
	}
}

// With a model whose example names phrases ("red circle"), each run of words between stop words
// and punctuation is offered as one phrase, its words not alone; a word the prompt no longer has
// is not offered at all.
func TestChoicesPhrases(t *testing.T) {
	phrases := []string{"red circle", "blue square"}
	for name, tok := range tokenizers(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct{ text, want string }{
				{"a red circle and a blue square", "red circle,blue square"},
				{"A RED circle, a blue   Square and a circle", "red circle,blue square,circle"},
				{"a green triangle next to a big red circle", "green triangle,big red circle"},
				{"red circle; blue square. red circle", "red circle,blue square"},
				{"a mug and a dog on the beach", "mug,dog,beach"},
			} {
				if got := strings.Join(Choices(tok, c.text, phrases, nil, nil), ","); got != c.want {
					t.Errorf("%q: got %s, want %s", c.text, got, c.want)
				}
			}
			// A phrase past the token limit is not one the generation could bind: its words are offered.
			long := strings.Repeat("x, ", 80) + "red circle"
			if got := Choices(tok, long, phrases, nil, nil); slices.Contains(got, "red circle") || !slices.Contains(got, "circle") {
				t.Errorf("a phrase past the limit: got %v, want its words", got)
			}
		})
	}
}

// A model whose example subjects are single words (Stable Diffusion's "mug", "dog") gets single
// words: "red circle" is two subjects there, as the official code binds one word each.
func TestChoicesWords(t *testing.T) {
	for _, phrases := range [][]string{nil, {"mug", "dog"}} {
		got := strings.Join(Choices(nil, "a red circle next to a blue square", phrases, nil, nil), ",")
		if got != "red,circle,blue,square" {
			t.Errorf("example %q: got %s", phrases, got)
		}
	}
}

// The prompt's candidates keep its order and repeat what it repeats; Choices lists each once.
func TestCandidates(t *testing.T) {
	var got []string
	for _, c := range Candidates("a sks dog in the snow, a sks dog", []string{"red circle"}) {
		got = append(got, strings.Join(c, " "))
	}
	if strings.Join(got, "|") != "sks dog|snow|sks dog" {
		t.Errorf("candidates %q", got)
	}
	if got := Choices(nil, "a sks dog in the snow", []string{"red circle"}, []string{"sks"}, []string{"red circle"}); strings.Join(got, ",") != "sks,sks dog,snow,red circle" {
		t.Errorf("choices %v: library first, the prompt's phrases, then the words boxes use", got)
	}
}

// The person's pick is shown whenever the list offers it, even after a keystroke that took it
// away for a moment; a word that left the prompt is never shown.
func TestPick(t *testing.T) {
	phrases := []string{"red circle", "blue square"}
	chosen, shown := "blue square", "blue square"
	for _, c := range []struct{ prompt, want string }{
		{"a red circle and a blue square", "blue square"},
		{"a red circle and a blue sq", "red circle"},
		{"a red circle and a", "red circle"},
		{"a red circle and a blue square", "blue square"},
		{"a mug", "mug"},
		{"", ""},
	} {
		shown = Pick(Choices(nil, c.prompt, phrases, nil, nil), chosen, shown)
		if shown != c.want {
			t.Errorf("%q: shows %q, want %q", c.prompt, shown, c.want)
		}
	}
	if got := Pick([]string{"a", "b"}, "", "b"); got != "b" {
		t.Errorf("with no pick of the person's, the shown word stays: %q", got)
	}
}
