package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

type textCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

// TestFixtureCases matches the official tokenizer's ids for every fixture model variant, each
// with its own tokenizer folder (SD 2.x pads with "!", SD 1.5 with <|endoftext|>).
func TestFixtureCases(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			var cases struct {
				Padded   []textCase `json:"tokenizer"`
				Unpadded []textCase `json:"tokenizer_unpadded"`
			}
			v.Cases(t, &cases)
			if len(cases.Padded) == 0 || len(cases.Unpadded) == 0 {
				t.Fatal("fixture has no tokenizer cases")
			}
			tk := variantTokenizer(t, v)
			for _, c := range cases.Unpadded {
				if got := tk.Encode(c.Text); !equalInts(got, c.IDs) {
					t.Errorf("Encode(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
				}
			}
			for _, c := range cases.Padded {
				checkPadded(t, tk, c)
			}
		})
	}
}

// checkPadded: EncodeTruncated reproduces the official padded ids; EncodePadded does too when
// the prompt fits and reports the overflow when it does not.
func checkPadded(t *testing.T, tk *Tokenizer, c textCase) {
	t.Helper()
	if got := tk.EncodeTruncated(c.Text); !equalInts(got, c.IDs) {
		t.Errorf("EncodeTruncated(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
	}
	n := len(tk.Encode(c.Text))
	got, err := tk.EncodePadded(c.Text)
	if n <= tk.MaxLength() {
		if err != nil || !equalInts(got, c.IDs) {
			t.Errorf("EncodePadded(%q) = %v, %v\nwant %v", c.Text, got, err, c.IDs)
		}
		return
	}
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Tokens != n || tl.Limit != tk.MaxLength() || got != nil {
		t.Errorf("EncodePadded(%d-token prompt) = %v, %v; want *TooLongError{%d, %d}", n, got, err, n, tk.MaxLength())
	}
}

// TestFixtureEncoderInputs checks the ids the reference text encoder was run on.
func TestFixtureEncoderInputs(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			var cases struct {
				Padded []textCase `json:"tokenizer"`
			}
			v.Cases(t, &cases)
			ids := v.Tensor(t, "text_encoder.input_ids")
			rows, cols := ids.Shape[0], ids.Shape[1]
			tk := variantTokenizer(t, v)
			if cols != tk.MaxLength() {
				t.Fatalf("input_ids has %d columns, tokenizer MaxLength %d", cols, tk.MaxLength())
			}
			for r := range rows {
				got := tk.EncodeTruncated(cases.Padded[r].Text)
				for c := range cols {
					if int64(got[c]) != ids.I64[r*cols+c] {
						t.Fatalf("prompt %d (%q) token %d: got %d, want %d", r, cases.Padded[r].Text, c, got[c], ids.I64[r*cols+c])
					}
				}
			}
		})
	}
}

// TestFixturePadding: the start, end and pad tokens each variant's special_tokens_map.json
// names are, by their ids in its vocab.json, the ones the official ids of the empty prompt
// (cases.tokenizer) are made of.
func TestFixturePadding(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) { checkPadding(t, v) })
	}
}

func checkPadding(t *testing.T, v fixture.Variant) {
	tk := variantTokenizer(t, v)
	s := tk.Specials()
	want := officialIDs(t, v, "")
	data, err := os.ReadFile(filepath.Join(v.Dir, "tokenizer", "vocab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vocab map[string]int
	if err := json.Unmarshal(data, &vocab); err != nil {
		t.Fatalf("vocab.json: %v", err)
	}
	pad, ok := vocab[s.Pad]
	if !ok || len(want) < 3 || want[0] != vocab[s.BOS] || want[1] != vocab[s.EOS] || want[2] != pad || want[len(want)-1] != pad {
		t.Fatalf("specials %+v (pad id %d, in vocab.json %v), official ids of \"\" %v", s, pad, ok, want)
	}
	ids, err := tk.EncodePadded("")
	if err != nil || !equalInts(ids, want) {
		t.Errorf("pad %q: EncodePadded(\"\") = %v, %v", s.Pad, ids, err)
	}
}

// officialIDs is the padded official ids cases.tokenizer records for text.
func officialIDs(t *testing.T, v fixture.Variant, text string) []int {
	t.Helper()
	var cases struct {
		Padded []textCase `json:"tokenizer"`
	}
	v.Cases(t, &cases)
	for _, c := range cases.Padded {
		if c.Text == text {
			return c.IDs
		}
	}
	t.Skipf("%s: cases.json has no tokenizer case for %q", v.Name, text)
	return nil
}

// TestConcurrentEncode: one tokenizer serves several goroutines (the server shares one); run
// with -race to check the word cache.
func TestConcurrentEncode(t *testing.T) {
	tk := clipTokenizer(t)
	var cases struct {
		Unpadded []textCase `json:"tokenizer_unpadded"`
	}
	fixture.Variants(t)[0].Cases(t, &cases)
	errs := make(chan string, 4*len(cases.Unpadded))
	done := make(chan bool)
	for g := range 4 {
		go func() {
			for i := range cases.Unpadded {
				c := cases.Unpadded[(i+g)%len(cases.Unpadded)]
				if got := tk.Encode(c.Text); !equalInts(got, c.IDs) {
					errs <- c.Text
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for text := range errs {
		t.Errorf("concurrent Encode(%q) differs", text)
	}
}
