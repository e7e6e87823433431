package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// TestUnescapeHTML: Python's html.unescape results (checked with CPython 3.11) for the cases
// where HTML5's rules are subtle, one pass each.
func TestUnescapeHTML(t *testing.T) {
	cases := []struct{ in, want string }{
		{"&amp;", "&"},
		{"&amp", "&"},          // legacy entity without semicolon
		{"&ampx", "&x"},        // longest legacy prefix
		{"&amp;amp;", "&amp;"}, // one pass
		{"&AMP;", "&"},
		{"&lt;3", "<3"},
		{"&notin;", "∉"},
		{"&notit;", "¬it;"},
		{"&noti", "¬i"},
		{"&#65;", "A"},
		{"&#x41;", "A"},
		{"&#X41", "A"},
		{"&#65", "A"},
		{"&#0;", "\uFFFD"},
		{"&#13;", "\r"},
		{"&#128;", "€"}, // Windows-1252
		{"&#x9d;", "\u009d"},
		{"&#1;", ""}, // Python drops control characters...
		{"&#x7F;", ""},
		{"&#xD800;", "\uFFFD"}, // ...and replaces surrogates
		{"&#1114112;", "\uFFFD"},
		{"&#99999999999999999999;", "\uFFFD"},
		{"&#xFDD0;", ""}, // and drops noncharacters
		{"&#xFFFE;", ""},
		{"&#x10FFFF;", ""},
		{"&#x;", "&#x;"},
		{"&#;", "&#;"},
		{"&;", "&;"},
		{"& amp;", "& amp;"},
		{"&&amp;", "&&"},
		{"&CounterClockwiseContourIntegral;", "∳"},
		{"&NotNestedGreaterGreater;", "\u2aa2\u0338"},
		{"&fjlig;", "fj"},
		{"&ampé;", "&é;"},
		{"&frac12x", "½x"},
		{"&eacute", "é"},
		{"a&b", "a&b"},
		{"no entity", "no entity"},
	}
	for _, c := range cases {
		for _, track := range []bool{false, true} {
			got := unescapeHTML(validText(c.in, track))
			if string(got.b) != c.want {
				t.Errorf("unescape(%q, track=%v) = %q, want %q", c.in, track, got.b, c.want)
			}
			checkOffsets(t, c.in, got)
		}
	}
}

func TestCleanSteps(t *testing.T) {
	cases := []struct{ in, want string }{
		{"  A  Photo\tof\na DOG  ", "a photo of a dog"},
		{"&amp;lt;tag&amp;gt;", "<tag>"}, // unescaped twice, like CLIP
		{"\x1c\x1f a \x1e", "a"},         // stripped as Python whitespace...
		{"a\x1cb", "a\x1cb"},             // ...but not collapsed: not regex \s
		{"a\u00a0\u2003b\u3000c\u0085d", "a b c d"},
		{"a\u200bb", "a\u200bb"},     // zero width space is not whitespace
		{"cafe\u0301", "café"},       // NFC
		{"0\u0f5c", "0\u0f5b\u0fb7"}, // NFC decomposes U+0F5C (a composition exclusion), in two segments
		{"İSTANBUL", "i\u0307stanbul"},
		{"ΟΔΥΣΣΕΥΣ ΣΑΣ Σ", "οδυσσευς σας σ"}, // final sigma only after a cased letter
		{"ΑΣ' ΑΣ.Β", "ας' ασ.β"},             // apostrophe and full stop are case-ignorable
		{"ẞ Straße", "ß straße"},
		{"ǅ", "ǆ"},
		{"a\xffb", "a\uFFFDb"},
		{"", ""},
	}
	for _, c := range cases {
		for _, track := range []bool{false, true} {
			got := clean(c.in, track)
			if string(got.b) != c.want {
				t.Errorf("clean(%q, track=%v) = %q, want %q", c.in, track, got.b, c.want)
			}
			if track {
				checkOffsets(t, c.in, got)
			}
		}
	}
}

// checkOffsets: every cleaned byte points into the original text, never going backwards.
func checkOffsets(t *testing.T, orig string, got text) {
	t.Helper()
	if !got.tracked() {
		return
	}
	if len(got.src) != len(got.b) {
		t.Fatalf("%q: %d offsets for %d bytes", orig, len(got.src), len(got.b))
	}
	prev := span{}
	for i, sp := range got.src {
		if sp.lo < 0 || sp.hi > len(orig) || sp.lo >= sp.hi || sp.lo < prev.lo || sp.hi < prev.hi {
			t.Fatalf("%q: byte %d maps to %v after %v", orig, i, sp, prev)
		}
		prev = sp
	}
}

func TestNextWord(t *testing.T) {
	// Expected splits are Python regex findall results of CLIP's pattern (IGNORECASE).
	cases := []struct {
		in   string
		want []string
	}{
		{"it's a dog's life", []string{"it", "'s", "a", "dog", "'s", "life"}},
		{"i'm we'll they'd you've 'tis", []string{"i", "'m", "we", "'ll", "they", "'d", "you", "'ve", "'t", "is"}},
		{"a<|startoftext|>b", []string{"a", "<|startoftext|>", "b"}},
		{"!<|endoftext|>!", []string{"!<|", "endoftext", "|>!"}},
		{"<|ſtartoftext|>", []string{"<|ſtartoftext|>"}},
		{"it'ſ", []string{"it", "'ſ"}},
		{"hello</w>world", []string{"hello", "</", "w", ">", "world"}},
		{"3.14 12", []string{"3", ".", "1", "4", "1", "2"}},
		{"\x1c\x1d!", []string{"\x1c\x1d!"}},
		{"a\u0345b", []string{"a", "b"}},
		{"à la carte", []string{"à", "la", "carte"}},
		{"日本語ok", []string{"日本語ok"}},
		{"ⅻ½²", []string{"ⅻ", "½", "²"}},
		{"'''s", []string{"'''", "s"}},
		{"", nil},
	}
	for _, c := range cases {
		var got []string
		for i := 0; ; {
			lo, hi, ok := nextWord([]byte(c.in), i)
			if !ok {
				break
			}
			got = append(got, c.in[lo:hi])
			i = hi
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
			t.Errorf("words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTrackedMatchesUntracked: offset tracking never changes the cleaned text.
func TestTrackedMatchesUntracked(t *testing.T) {
	data, err := os.ReadFile("testdata/openai_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []textCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	for _, c := range golden.Cases {
		a, b := clean(c.Text, false), clean(c.Text, true)
		if string(a.b) != string(b.b) {
			t.Errorf("%q: tracked %q, untracked %q", c.Text, b.b, a.b)
		}
		checkOffsets(t, c.Text, b)
	}
}

// TestBPEMatchesCLIPLoop compares the priority-queue BPE with CLIP's own loop (merge the
// lowest-ranked pair everywhere, repeat) on words of the real vocabulary, long ones included.
func TestBPEMatchesCLIPLoop(t *testing.T) {
	tk := clipTokenizer(t)
	words := []string{"a", "dog", "lorem", "supercalifragilisticexpialidocious", "!!!!!!!!!!!!!!!!!!!!!!!!!",
		"aaaaaaaaaaaaaaaaaaaaaaa", "hahahahahahahahahahaha", "日本語", "\U0001F9A9", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"ababababababababa", "mississippi", "....---....", "0"}
	for _, w := range words {
		got := tk.bpe([]byte(w))
		want := clipLoop(tk, []byte(w))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("bpe(%q) = %v, CLIP's loop gives %v", w, got, want)
		}
	}
}

// clipLoop is BPE as simple_tokenizer.py writes it, on symbol ids.
func clipLoop(tk *Tokenizer, w []byte) []int32 {
	syms := make([]int32, len(w))
	for i, c := range w {
		syms[i] = tk.byteSym[0][c]
	}
	syms[len(w)-1] = tk.byteSym[1][w[len(w)-1]]
	for len(syms) > 1 {
		best := rule{rank: -1}
		var bl, br int32
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := tk.rules[pairKey(syms[i], syms[i+1])]; ok && (best.rank < 0 || r.rank < best.rank) {
				best, bl, br = r, syms[i], syms[i+1]
			}
		}
		if best.rank < 0 {
			break
		}
		syms = mergePair(syms, bl, br, best.result)
	}
	return syms
}
