package tokenizer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPositions(t *testing.T) {
	tk := clipTokenizer(t)
	cases := []struct {
		name, prompt, phrase string
		want                 []int
	}{
		{"single word", "a photo of a dog on the beach", "dog", []int{5}},
		{"subject from the fixtures", "a mug and a dog on the beach", "mug", []int{2}},
		{"first word", "dog on the beach", "dog", []int{1}},
		{"last word", "a photo of a dog", "dog", []int{5}},
		{"multi-token word", "a teapot in the garden", "teapot", []int{2}},
		{"rare word split in three", "lorem ipsum", "lorem", []int{1, 2}},
		{"phrase", "a photo of a red car in the city", "red car", []int{5, 6}},
		{"phrase with multi-token word", "a blue teapot on a table", "blue teapot", []int{2, 3}},
		{"case differs", "A Photo Of A DOG", "dog", []int{5}},
		{"phrase case differs", "a photo of a Red Car", "RED car", []int{5, 6}},
		{"whitespace in phrase", "a red   car", " red\tcar ", []int{2, 3}},
		{"followed by comma", "a dog, a cat", "dog", []int{2}},
		{"followed by possessive", "the dog's bowl", "dog", []int{2}},
		{"phrase with punctuation", "a dog, a cat", "dog,", []int{2, 3}},
		{"punctuation itself", "a dog, a cat", ",", []int{3}},
		{"html entity in prompt", "salt &amp; pepper", "&", []int{2}},
		{"accent, decomposed in prompt", "a cafe\u0301 in paris", "café", []int{2}},
		{"emoji", "a 🐶 and a cat", "🐶", []int{2}},
		{"character split in bytes", "a 🦩 and a cat", "🦩", []int{2, 3}},
		{"repeated word: first", "a dog and a dog", "dog", []int{2}},
		{"digits", "3 dogs", "3", []int{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tk.Positions(c.prompt, c.phrase)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("Positions(%q, %q) = %v, %v; want %v", c.prompt, c.phrase, got, err, c.want)
			}
			// The positions index the encoded prompt: its tokens there are the phrase's tokens.
			ids, phrase := tk.Encode(c.prompt), tk.Encode(c.phrase)
			for k, p := range got {
				if ids[p] != phrase[1+k] {
					t.Errorf("token %d of prompt is %d, phrase token %d is %d", p, ids[p], k, phrase[1+k])
				}
			}
		})
	}
}

func TestOccurrences(t *testing.T) {
	tk := clipTokenizer(t)
	cases := []struct {
		prompt, phrase string
		want           string
	}{
		{"a dog and a dog", "dog", "[[2] [5]]"},
		{"a dog and a dog", "a dog", "[[1 2] [4 5]]"},
		{"very very very very", "very very", "[[1 2] [3 4]]"}, // left to right, not overlapping
		{"lorem ipsum lorem", "lorem", "[[1 2] [5 6]]"},
		{"a dog, a dog! the dog.", "dog", "[[2] [5] [8]]"},
	}
	for _, c := range cases {
		got, err := tk.Occurrences(c.prompt, c.phrase)
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("Occurrences(%q, %q) = %v, %v; want %s", c.prompt, c.phrase, got, err, c.want)
		}
	}
}

func TestPositionsErrors(t *testing.T) {
	tk := clipTokenizer(t)
	notFound := []struct{ prompt, phrase string }{
		{"a photo of a cat", "dog"},
		{"two dogs", "dog"},       // a different token (dogs</w>)
		{"a hotdog stand", "dog"}, // only part of a word
		{"a red car", "car red"},  // order matters
		{"a dog, a cat", "dog a"}, // the comma is between
		{"", "dog"},
		{"a dog!!", "!"}, // "!!" is one token
	}
	for _, c := range notFound {
		_, err := tk.Positions(c.prompt, c.phrase)
		var nf *PhraseNotFoundError
		if !errors.As(err, &nf) || nf.Phrase != c.phrase || !strings.Contains(err.Error(), fmt.Sprintf("%q", c.phrase)) {
			t.Errorf("Positions(%q, %q): err = %v, want *PhraseNotFoundError naming it", c.prompt, c.phrase, err)
		}
	}
	for _, phrase := range []string{"", "   ", "\t\n"} {
		if _, err := tk.Positions("a dog", phrase); !errors.Is(err, ErrEmptyPhrase) {
			t.Errorf("Positions(%q): err = %v, want ErrEmptyPhrase", phrase, err)
		}
	}
}

// TestPositionsTruncated: a subject past the encoder's 77 tokens has no usable position, while
// one just inside does.
func TestPositionsTruncated(t *testing.T) {
	tk := clipTokenizer(t)
	prompt := strings.Repeat("very ", 74) + "red dog and a cat"
	// <|startoftext|> + 74 x very + red: red is at 75, the last text position the encoder keeps.
	got, err := tk.Positions(prompt, "red")
	if err != nil || fmt.Sprint(got) != "[75]" {
		t.Fatalf("Positions(red) = %v, %v; want [75]", got, err)
	}
	_, err = tk.Positions(prompt, "dog")
	var te *PhraseTruncatedError
	if !errors.As(err, &te) || te.Position != 76 || te.Limit != 77 || te.Phrase != "dog" {
		t.Fatalf("Positions(dog) err = %v, want *PhraseTruncatedError at 76", err)
	}
	if _, err := tk.Positions(prompt, "red dog"); !errors.As(err, &te) || te.Position != 75 {
		t.Fatalf("Positions(red dog) err = %v, want *PhraseTruncatedError at 75", err)
	}
	// Occurrences keeps the ones inside and drops the rest.
	all, err := tk.Occurrences(strings.Repeat("dog ", 80), "dog")
	if err != nil || len(all) != 75 || all[74][0] != 75 {
		t.Fatalf("Occurrences over a long prompt: %d, %v", len(all), err)
	}
}

func TestSpans(t *testing.T) {
	tk := clipTokenizer(t)
	cases := []struct {
		text string
		want []string // the text of each span, <|startoftext|> and <|endoftext|> excluded
	}{
		{"a mug and a dog", []string{"a", "mug", "and", "a", "dog"}},
		{"  A  Photo\tof a DOG  ", []string{"A", "Photo", "of", "a", "DOG"}},
		{"lorem, ipsum!", []string{"lore", "m", ",", "ip", "sum", "!"}},
		{"it's", []string{"it", "'s"}},
		{"salt &amp; pepper", []string{"salt", "&amp;", "pepper"}},
		{"&amp;amp;", []string{"&amp;amp;"}},    // unescaped twice: one "&"
		{"cafe\u0301", []string{"cafe\u0301"}},  // NFC composes é; the token covers both code points
		{"a 🦩 b", []string{"a", "🦩", "🦩", "b"}}, // two byte tokens of one character
		{"日本語", []string{"日", "本", "語", "語"}},
		{"İ", []string{"İ", "İ"}},              // lowercases to i + U+0307
		{"a\xffb", []string{"a", "\xff", "b"}}, // invalid UTF-8 becomes U+FFFD
	}
	for _, c := range cases {
		spans := tk.Spans(c.text)
		ids := tk.Encode(c.text)
		if len(spans) != len(ids) {
			t.Fatalf("%q: %d spans, %d ids", c.text, len(spans), len(ids))
		}
		var got []string
		for i, s := range spans {
			if s.ID != ids[i] {
				t.Errorf("%q: span %d id %d, Encode gives %d", c.text, i, s.ID, ids[i])
			}
			if i > 0 && i < len(spans)-1 {
				got = append(got, c.text[s.Start:s.End])
			}
		}
		first, last := spans[0], spans[len(spans)-1]
		if first.Start != 0 || first.End != 0 || last.Start != len(c.text) || last.End != len(c.text) {
			t.Errorf("%q: special spans %v %v", c.text, first, last)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
			t.Errorf("Spans(%q) texts = %q, want %q", c.text, got, c.want)
		}
	}
}
