package tokenizer

import (
	"errors"
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

// TestFixturePadding pins the pad token each variant's special_tokens_map.json names.
func TestFixturePadding(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		tk := variantTokenizer(t, v)
		s := tk.Specials()
		want, ok := map[string]int{"!": 0, "<|endoftext|>": 49407}[s.Pad]
		if !ok {
			t.Fatalf("%s: unexpected pad token %q", v.Name, s.Pad)
		}
		ids, err := tk.EncodePadded("")
		if err != nil {
			t.Fatal(err)
		}
		if ids[0] != 49406 || ids[1] != 49407 || ids[2] != want || ids[76] != want {
			t.Errorf("%s: pad %q: EncodePadded(\"\") = %v", v.Name, s.Pad, ids)
		}
	}
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
