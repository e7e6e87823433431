package tokenizer

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"
)

// FuzzEncode: any text encodes without panicking into ids of the vocabulary, with spans inside
// the text, and the whole text found at positions 1..n-2 of its own encoding.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"a photo of a dog", "", "A  &amp;&#233; 🦩 ΣΣ İ it'ſ <|endoftext|>!", "a\xffb\x00", "aͅ\u0301\x1c"} {
		f.Add(s)
	}
	tk := clipTokenizer(f)
	f.Fuzz(func(t *testing.T, text string) {
		ids := tk.Encode(text)
		if len(ids) < 2 || ids[0] != 49406 || ids[len(ids)-1] != 49407 {
			t.Fatalf("Encode(%q) = %v: not framed by start and end", text, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= tk.Len() {
				t.Fatalf("Encode(%q): id %d outside the vocabulary", text, id)
			}
		}
		checkSpans(t, tk, text, ids)
		checkPaddedForms(t, tk, text, ids)
		if n := len(ids); n > 2 && n <= tk.MaxLength() {
			pos, err := tk.Positions(text, text)
			if err != nil || len(pos) != n-2 || pos[0] != 1 || pos[len(pos)-1] != n-2 {
				t.Fatalf("Positions(%q, itself) = %v, %v; want 1..%d", text, pos, err, n-2)
			}
		}
		if _, err := tk.Decode(ids); err != nil {
			t.Fatal(err)
		}
	})
}

func checkSpans(t *testing.T, tk *Tokenizer, text string, ids []int) {
	spans := tk.Spans(text)
	if len(spans) != len(ids) {
		t.Fatalf("Spans(%q): %d spans for %d ids", text, len(spans), len(ids))
	}
	prev := 0
	for i, s := range spans {
		inner := i > 0 && i < len(spans)-1
		if s.ID != ids[i] || s.Start < prev || s.End < s.Start || s.End > len(text) || (inner && s.End == s.Start) {
			t.Fatalf("Spans(%q)[%d] = %+v (id %d, previous start %d)", text, i, s, ids[i], prev)
		}
		prev = s.Start
	}
}

func checkPaddedForms(t *testing.T, tk *Tokenizer, text string, ids []int) {
	trunc := tk.EncodeTruncated(text)
	padded, err := tk.EncodePadded(text)
	var tl *TooLongError
	switch {
	case len(trunc) != tk.MaxLength() || trunc[0] != ids[0]:
		t.Fatalf("EncodeTruncated(%q) = %v", text, trunc)
	case len(ids) > tk.MaxLength() && (!slices.Equal(trunc[:len(trunc)-1], ids[:len(trunc)-1]) || trunc[len(trunc)-1] != ids[len(ids)-1]):
		t.Fatalf("EncodeTruncated(%d tokens) = %v, want the first %d then <|endoftext|>", len(ids), trunc, len(trunc)-1)
	case len(ids) <= tk.MaxLength() && (err != nil || !slices.Equal(padded, trunc) || !slices.Equal(padded[:len(ids)], ids)):
		t.Fatalf("EncodePadded(%q) = %v, %v; truncated %v", text, padded, err, trunc)
	case len(ids) > tk.MaxLength() && (!errors.As(err, &tl) || tl.Tokens != len(ids)):
		t.Fatalf("EncodePadded(%d tokens) err = %v", len(ids), err)
	}
}

// FuzzParseVocab: vocab.json parsing never panics, and what it accepts writes back the same.
func FuzzParseVocab(f *testing.F) {
	f.Add([]byte(`{"a": 0, "b</w>": 1}`))
	f.Add([]byte("{\n\"a\": 1,\n\"a\": 0\n}"))
	f.Add([]byte(`{"\u0021": 0, "x": 1e2}`))
	f.Add([]byte(`[1, 2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tokens, err := parseVocab(data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != VocabFile {
				t.Fatalf("error %v is not a vocab.json FileError", err)
			}
			return
		}
		back, err := parseVocab(marshalVocab(tokens))
		if err != nil || !reflect.DeepEqual(back, tokens) {
			t.Fatalf("round trip of %q: %q, %v", tokens, back, err)
		}
	})
}

// FuzzParseMerges: merges.txt parsing never panics, and what it accepts writes back the same.
func FuzzParseMerges(f *testing.F) {
	f.Add([]byte("#version: 0.2\ni n\nt h\n"))
	f.Add([]byte("a b c\n"))
	f.Add([]byte("\n\na b\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		merges, lines, err := parseMerges(data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != MergesFile || fe.Line < 1 {
				t.Fatalf("error %v is not a merges.txt FileError with a line", err)
			}
			return
		}
		if len(lines) != len(merges) {
			t.Fatalf("%d lines for %d merges", len(lines), len(merges))
		}
		back, _, err := parseMerges(marshalMerges(merges))
		if err != nil || !slices.Equal(back, merges) {
			t.Fatalf("round trip of %v: %v, %v", merges, back, err)
		}
	})
}

// FuzzLoadFS: any folder contents load or fail with a FileError, and what loads can encode.
func FuzzLoadFS(f *testing.F) {
	// Small folders: a CLIP-layout vocabulary needs all 512 byte symbols (8 kB), which slows
	// the fuzzer's mutator to a crawl, so the seeds lean on an unk token instead (as Hugging
	// Face's toy vocabulary does); TestLoadErrors covers full folders.
	toy := []byte(`{"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab</w>": 4, "!": 5, "<|startoftext|>": 6, "<|endoftext|>": 7, "<unk>": 8}`)
	f.Add(toy, []byte("#version: 0.2\na b</w>\n"), []byte(`{"pad_token": "!", "unk_token": "<unk>"}`), []byte(`{"model_max_length": 8}`))
	f.Add(toy, []byte("a b</w>\nab</w> a\n"), []byte(`{"pad_token": {"content": "!"}, "unk_token": {"content": "<unk>"}}`), []byte(`{}`))
	f.Add([]byte(`{"a": 0, "<|startoftext|>": 1, "<|endoftext|>": 2, "<unk>": 3}`), []byte("a a\n"), []byte(`{"unk_token": "<unk>"}`), []byte(`{"model_max_length": 1e30}`))
	f.Fuzz(func(t *testing.T, vocab, merges, specials, config []byte) {
		fsys := fstest.MapFS{
			"t/" + VocabFile: {Data: vocab}, "t/" + MergesFile: {Data: merges},
			"t/" + SpecialTokensFile: {Data: specials}, "t/" + ConfigFile: {Data: config},
		}
		tk, err := LoadFS(fsys, "t")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FileError", err)
			}
			return
		}
		for _, text := range []string{"a photo of a dog!", "ſ <|endoftext|> 🦩", ""} {
			for _, id := range tk.EncodeTruncated(text) {
				if id < 0 || id >= tk.Len() {
					t.Fatalf("id %d outside the vocabulary of %d", id, tk.Len())
				}
			}
			_ = tk.Spans(text)
		}
		_ = fmt.Sprint(tk.Specials())
	})
}
