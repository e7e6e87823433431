package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// trainCorpus is a small prompt corpus like the ones the project trains its tiny models on:
// hand-written prompts plus every subject in every setting and style.
var trainCorpus = makeCorpus()

func makeCorpus() []string {
	out := []string{
		"the dog's bowl is next to the mug",
		"a watercolor painting of a teapot, a mug and a cup",
		"two dogs swimming in a lake at 3pm!",
		"a café in Zürich with a red door",
	}
	subjects := []string{"dog", "cat", "mug", "teapot", "red car", "wooden chair", "sunflower", "robot toy", "backpack", "clock"}
	settings := []string{"on the beach", "in the garden", "on a wooden table", "in a snowy forest", "next to a lake", "on a city street"}
	styles := []string{"a photo of", "an oil painting of", "a watercolor sketch of", "a close-up photograph of"}
	for _, st := range styles {
		for _, su := range subjects {
			for _, se := range settings {
				out = append(out, st+" a "+su+" "+se)
			}
		}
	}
	return out
}

// TestTrainByHand checks the merges of a corpus small enough to work out by hand: "aaa" twice
// and "b" once give the words a a a</w> (x2) and b</w>. The pairs (a,a) and (a,a</w>) both
// occur twice; (a,a) wins the tie ("a" < "a</w>"), leaving aa a</w> (x2), then (aa, a</w>).
func TestTrainByHand(t *testing.T) {
	for _, size := range []int{516, 600} { // 600: training stops when no pair is left
		v, err := Train([]string{"aaa b AAA"}, size)
		if err != nil {
			t.Fatal(err)
		}
		want := []Merge{{"a", "a"}, {"aa", "a</w>"}}
		if !reflect.DeepEqual(v.Merges, want) {
			t.Fatalf("size %d: merges %v, want %v", size, v.Merges, want)
		}
		if len(v.Tokens) != 516 || v.Tokens[512] != "aa" || v.Tokens[513] != "aaa</w>" ||
			v.Tokens[514] != startOfText || v.Tokens[515] != endOfText {
			t.Fatalf("size %d: tokens[510:] = %q", size, v.Tokens[510:])
		}
	}
	// Stopping at the requested size keeps the first merges.
	v, err := Train([]string{"aaa b AAA"}, 515)
	if err != nil || len(v.Tokens) != 515 || len(v.Merges) != 1 {
		t.Fatalf("size 515: %d tokens, %v, %v", len(v.Tokens), v.Merges, err)
	}
}

// TestTrainLayout: CLIP's layout, and the byte part identical to the real CLIP vocabulary's.
func TestTrainLayout(t *testing.T) {
	v, err := Train(trainCorpus, 600)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != 600 || len(v.Merges) != 600-514 {
		t.Fatalf("%d tokens, %d merges", len(v.Tokens), len(v.Merges))
	}
	for i, m := range v.Merges {
		if v.Tokens[512+i] != m.Left+m.Right {
			t.Fatalf("token %d is %q, merge %d makes %q", 512+i, v.Tokens[512+i], i, m.Left+m.Right)
		}
	}
	clip, _, err := loadVocabulary(os.DirFS(fixture.Variants(t)[0].Dir), "tokenizer")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Tokens[:512], clip.Tokens[:512]) {
		t.Error("the 512 byte symbols differ from CLIP's")
	}
	if v.Tokens[598] != startOfText || v.Tokens[599] != endOfText {
		t.Errorf("last tokens %q", v.Tokens[598:])
	}
}

// TestTrainEncodesCorpus: with room for every merge, each corpus word becomes one token, and
// the encoding decodes back to the cleaned text.
func TestTrainEncodesCorpus(t *testing.T) {
	v, err := Train(trainCorpus, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) >= 5000 {
		t.Fatalf("expected training to run out of pairs, got %d tokens", len(v.Tokens))
	}
	tk, err := New(v, CLIPSpecials("!"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range trainCorpus {
		ids := tk.Encode(s)
		words := 0
		for i := 0; ; words++ {
			lo, hi, ok := nextWord(clean(s, false).b, i)
			if !ok {
				break
			}
			_, i = lo, hi
		}
		if len(ids)-2 != words {
			t.Errorf("%q: %d tokens for %d words", s, len(ids)-2, words)
		}
		text, err := tk.Decode(ids[1 : len(ids)-1])
		if err != nil {
			t.Fatal(err)
		}
		// CLIP's decoder ends every word with a space ("dog 's"), so compare without spaces.
		if want := string(clean(s, false).b); strings.ReplaceAll(text, " ", "") != strings.ReplaceAll(want, " ", "") {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", s, text, want)
		}
	}
	// Unseen text still encodes, falling back to smaller pieces.
	ids := tk.Encode("a photograph of a zebra")
	if len(ids) <= 6 {
		t.Errorf("unseen words should split: %v", ids)
	}
}

func TestTrainDeterministic(t *testing.T) {
	a, err := Train(trainCorpus, 600)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(trainCorpus, 600)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two trainings on the same corpus differ")
	}
	// Order does not matter, only which words occur how often.
	shuffled := append([]string(nil), trainCorpus...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	c, _ := Train(shuffled, 600)
	if !reflect.DeepEqual(a, c) {
		t.Fatal("training depends on corpus order")
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(trainCorpus, 513); err == nil || !strings.Contains(err.Error(), "514") {
		t.Errorf("Train(513) err = %v", err)
	}
	v, err := Train(nil, 514) // an empty corpus gives the bare alphabet
	if err != nil || len(v.Tokens) != 514 || len(v.Merges) != 0 {
		t.Errorf("Train(nil) = %d tokens, %v", len(v.Tokens), err)
	}
}

// TestWriteDirRoundTrip: a trained vocabulary written with WriteDir loads back identically and
// tokenises the same.
func TestWriteDirRoundTrip(t *testing.T) {
	v, err := Train(trainCorpus, 600)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Specials{CLIPSpecials("!"), CLIPSpecials(endOfText), {BOS: startOfText, EOS: endOfText, Pad: "!", MaxLength: 32}} {
		dir := filepath.Join(t.TempDir(), "tokenizer")
		if err := WriteDir(dir, v, s); err != nil {
			t.Fatal(err)
		}
		back, bs, err := loadVocabulary(os.DirFS(dir), ".")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, v) || bs != s {
			t.Fatalf("round trip changed the vocabulary or specials: %+v vs %+v", bs, s)
		}
		direct, _ := New(v, s)
		loaded, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range append(trainCorpus, "unseen words: zebra, Ångström & 🦩") {
			a, _ := direct.EncodePadded(text)
			b, _ := loaded.EncodePadded(text)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%q: %v vs %v", text, a, b)
			}
		}
		first, _ := os.ReadFile(filepath.Join(dir, MergesFile))
		if !strings.HasPrefix(string(first), "#version: 0.2\n") {
			t.Errorf("merges.txt starts %q", first[:20])
		}
	}
}

// TestWriteDirCLIP: the real CLIP folder survives loadVocabulary -> WriteDir -> Load (in a
// temporary folder; the vocabulary is never copied into the repository).
func TestWriteDirCLIP(t *testing.T) {
	for _, variant := range fixture.Variants(t) {
		v, s, err := loadVocabulary(os.DirFS(variant.Dir), "tokenizer")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteDir(dir, v, s); err != nil {
			t.Fatal(err)
		}
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		orig := variantTokenizer(t, variant)
		for _, text := range []string{"a mug and a dog on the beach", "naïve résumé 🐶 emoji", "!!!"} {
			a, _ := orig.EncodePadded(text)
			b, _ := tk.EncodePadded(text)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s %q: %v vs %v", variant.Name, text, a, b)
			}
		}
	}
}

func TestWriteDirRejectsBadVocabulary(t *testing.T) {
	v, _ := Train(trainCorpus, 520)
	bad := &Vocabulary{Tokens: v.Tokens, Merges: append([]Merge{{"zz", "q"}}, v.Merges...)}
	dir := t.TempDir()
	if err := WriteDir(dir, bad, CLIPSpecials("!")); err == nil {
		t.Fatal("WriteDir accepted a merge of unknown symbols")
	}
	if _, err := os.Stat(filepath.Join(dir, VocabFile)); err == nil {
		t.Fatal("WriteDir wrote files for a vocabulary it rejected")
	}
}
