package tokenizer

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseVocabErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"not json", "hello", 1, "invalid character"},
		{"array", `["a", "b"]`, 1, `want "{"`},
		{"duplicate token", "{\n\"a\": 0,\n\"b\": 1,\n\"a\": 2\n}", 4, `token "a" appears twice`},
		{"string id", "{\n\"a\": \"0\"\n}", 0, "want an integer"},
		{"fractional id", "{\n\"a\": 0.5\n}", 0, "not an integer"},
		{"negative id", "{\"a\": -1}", 0, "not an integer"},
		{"huge id", "{\"a\": 99999999999999999999}", 0, "not an integer"},
		{"gap", `{"a": 0, "b": 2}`, 0, "ids must run from 0 to 1"},
		{"duplicate id", `{"a": 0, "b": 0}`, 0, "id 0 is used by both"},
		{"empty token", `{"": 0}`, 0, "empty token"},
		{"no tokens", `{}`, 0, "no tokens"},
		{"trailing data", "{\"a\": 0}\n{}", 2, "unexpected data"},
		{"truncated", "{\"a\": 0,\n\"b\"", 2, "unexpected EOF"},
	}
	for _, c := range cases {
		_, err := parseVocab([]byte(c.data))
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != "vocab.json" || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want a vocab.json error containing %q", c.name, err, c.msg)
			continue
		}
		if c.line > 0 && fe.Line != c.line {
			t.Errorf("%s: line %d, want %d (%v)", c.name, fe.Line, c.line, err)
		}
	}
	got, err := parseVocab([]byte("{\n  \"b\": 1,\n  \"a\\u0021\": 0\n}\n"))
	if err != nil || len(got) != 2 || got[0] != "a!" || got[1] != "b" {
		t.Fatalf("parseVocab = %q, %v", got, err)
	}
}

func TestParseMerges(t *testing.T) {
	m, lines, err := parseMerges([]byte("#version: 0.2\ni n\r\nt h\n\n\n"))
	if err != nil || len(m) != 2 || m[0] != (Merge{"i", "n"}) || m[1] != (Merge{"t", "h"}) || lines[1] != 3 {
		t.Fatalf("parseMerges = %v %v %v", m, lines, err)
	}
	// Without the header line the first line is a merge; "#" is an ordinary symbol.
	m, _, err = parseMerges([]byte("# #\na b"))
	if err != nil || len(m) != 2 || m[0] != (Merge{"#", "#"}) {
		t.Fatalf("headerless parseMerges = %v %v", m, err)
	}
	cases := []struct {
		name, data string
		line       int
	}{
		{"three symbols", "#version: 0.2\na b\nc d e\n", 3},
		{"one symbol", "a b\nc\n", 2},
		{"blank line inside", "#version: 0.2\na b\n\nc d\n", 3},
		{"invalid utf-8", "a b\nc \xff\n", 2},
	}
	for _, c := range cases {
		_, _, err := parseMerges([]byte(c.data))
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != "merges.txt" || fe.Line != c.line {
			t.Errorf("%s: err = %v, want merges.txt:%d", c.name, err, c.line)
		}
	}
}

// smallFolder is a valid tokenizer folder built from a trained vocabulary.
func smallFolder(t *testing.T) fstest.MapFS {
	t.Helper()
	v, err := Train([]string{"a photo of a dog", "a photo of a cat"}, 530)
	if err != nil {
		t.Fatal(err)
	}
	files, err := folderFiles(v, CLIPSpecials("!"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys["tok/"+name] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func TestLoadFS(t *testing.T) {
	fsys := smallFolder(t)
	tk, err := LoadFS(fsys, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("a photo of a dog"); len(got) != 7 {
		t.Errorf("trained words should be one token each: %v", got)
	}
	if tk.MaxLength() != 77 || tk.Specials().Pad != "!" || tk.Len() <= 514 {
		t.Errorf("MaxLength %d, specials %+v, Len %d", tk.MaxLength(), tk.Specials(), tk.Len())
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(fstest.MapFS)
		file   string
		line   int
		substr string
	}{
		{"missing vocab", func(f fstest.MapFS) { delete(f, "tok/vocab.json") }, VocabFile, 0, "not exist"},
		{"missing merges", func(f fstest.MapFS) { delete(f, "tok/merges.txt") }, MergesFile, 0, "not exist"},
		{"missing special tokens", func(f fstest.MapFS) { delete(f, "tok/special_tokens_map.json") }, SpecialTokensFile, 0, "not exist"},
		{"unknown merge symbol", func(f fstest.MapFS) {
			f["tok/merges.txt"].Data = []byte("#version: 0.2\np h\nzz q\n")
		}, MergesFile, 3, `"zz" is neither a byte symbol nor made by an earlier merge`},
		{"merge out of order", func(f fstest.MapFS) {
			f["tok/merges.txt"].Data = []byte("#version: 0.2\nph o\np h\n")
		}, MergesFile, 2, `"ph" is neither`},
		{"repeated merge", func(f fstest.MapFS) {
			f["tok/merges.txt"].Data = []byte("#version: 0.2\np h\np h\n")
		}, MergesFile, 3, "repeats merge 1"},
		{"merge result missing, no unk", func(f fstest.MapFS) {
			f["tok/merges.txt"].Data = []byte("#version: 0.2\nq u\n")
			f["tok/special_tokens_map.json"].Data = []byte(`{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": null}`)
		}, MergesFile, 2, `"qu" is not in the vocabulary`},
		{"pad not in vocab", func(f fstest.MapFS) {
			f["tok/special_tokens_map.json"].Data = []byte(`{"pad_token": "<pad>"}`)
		}, SpecialTokensFile, 0, `pad_token: "<pad>" is not in the vocabulary`},
		{"bad special token", func(f fstest.MapFS) {
			f["tok/special_tokens_map.json"].Data = []byte(`{"pad_token": 3}`)
		}, SpecialTokensFile, 0, "pad_token is 3"},
		{"special tokens not json", func(f fstest.MapFS) {
			f["tok/special_tokens_map.json"].Data = []byte("{\n\"pad_token\": !\n}")
		}, SpecialTokensFile, 2, "invalid character"},
		{"max length too small", func(f fstest.MapFS) {
			f["tok/tokenizer_config.json"].Data = []byte(`{"model_max_length": 1}`)
		}, ConfigFile, 0, "model_max_length 1"},
		{"max length not integer", func(f fstest.MapFS) {
			f["tok/tokenizer_config.json"].Data = []byte(`{"model_max_length": 76.5}`)
		}, ConfigFile, 0, "model_max_length 76.5"},
		{"max length wrong type", func(f fstest.MapFS) {
			f["tok/tokenizer_config.json"].Data = []byte(`{"model_max_length": "seventy"}`)
		}, ConfigFile, 0, "model_max_length"},
	}
	for _, c := range cases {
		fsys := smallFolder(t)
		c.edit(fsys)
		_, err := LoadFS(fsys, "tok")
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != c.file || fe.Line != c.line || !strings.Contains(err.Error(), c.substr) {
			t.Errorf("%s: err = %v; want %s line %d containing %q", c.name, err, c.file, c.line, c.substr)
		}
	}
}

func TestLoadSpecialFormats(t *testing.T) {
	cases := []struct {
		name, tokens, config string
		pad                  string
		maxLen               int
	}{
		{"objects with content", `{"pad_token": {"content": "!", "lstrip": false}}`, `{"model_max_length": 77}`, "!", 77},
		{"pad from config", `{"bos_token": "<|startoftext|>"}`, `{"pad_token": "!", "model_max_length": 64}`, "!", 64},
		{"map wins over config", `{"pad_token": "<|endoftext|>"}`, `{"pad_token": "!"}`, "<|endoftext|>", 77},
		{"hugging face unset length", `{}`, `{"model_max_length": 1000000000000000019884624838656}`, "<|endoftext|>", 77},
		{"no config file", `{"pad_token": "!"}`, "", "!", 77},
	}
	for _, c := range cases {
		fsys := smallFolder(t)
		fsys["tok/special_tokens_map.json"].Data = []byte(c.tokens)
		if c.config == "" {
			delete(fsys, "tok/tokenizer_config.json")
		} else {
			fsys["tok/tokenizer_config.json"].Data = []byte(c.config)
		}
		tk, err := LoadFS(fsys, "tok")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if s := tk.Specials(); s.Pad != c.pad || s.MaxLength != c.maxLen || s.BOS != startOfText || s.EOS != endOfText {
			t.Errorf("%s: specials %+v, want pad %q, max length %d", c.name, s, c.pad, c.maxLen)
		}
	}
}

func TestNewErrors(t *testing.T) {
	base := baseSymbols()
	tokens := append(append([]string{}, base...), startOfText, endOfText)
	cases := []struct {
		name string
		v    *Vocabulary
		s    Specials
		msg  string
	}{
		{"nil", nil, CLIPSpecials("!"), "empty"},
		{"duplicate token", &Vocabulary{Tokens: append(append([]string{}, tokens...), "!")}, CLIPSpecials("!"), `are both "!"`},
		{"invalid token", &Vocabulary{Tokens: append(append([]string{}, tokens...), "\xff")}, CLIPSpecials("!"), "not valid UTF-8"},
		{"missing byte symbol", &Vocabulary{Tokens: tokens[1:]}, Specials{BOS: startOfText, EOS: endOfText, Pad: "\"", MaxLength: 77}, `symbol "!" is not in the vocabulary`},
		{"missing bos", &Vocabulary{Tokens: base}, Specials{BOS: startOfText, EOS: "!", Pad: "!", MaxLength: 77}, "bos_token"},
		{"short context", &Vocabulary{Tokens: tokens}, Specials{BOS: startOfText, EOS: endOfText, Pad: "!", MaxLength: 1}, "model_max_length"},
		{"bad merge", &Vocabulary{Tokens: tokens, Merges: []Merge{{"a", "b c"}}}, CLIPSpecials("!"), "merge 1"},
	}
	for _, c := range cases {
		_, err := New(c.v, c.s)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.msg)
		}
	}
}

func TestDecode(t *testing.T) {
	tk := clipTokenizer(t)
	for _, c := range []struct{ in, want string }{
		{"a photo of a DOG", "<|startoftext|>a photo of a dog <|endoftext|>"},
		{"naïve 🦩", "<|startoftext|>naïve 🦩 <|endoftext|>"},
		{"it's", "<|startoftext|>it 's <|endoftext|>"},
	} {
		got, err := tk.Decode(tk.Encode(c.in))
		if err != nil || got != c.want {
			t.Errorf("Decode(Encode(%q)) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := tk.Decode([]int{49408}); err == nil {
		t.Error("Decode accepted an id outside the vocabulary")
	}
	if tk.Token(320) != "a</w>" || tk.Token(-1) != "" || tk.Token(tk.Len()) != "" {
		t.Errorf("Token: %q %q", tk.Token(320), tk.Token(-1))
	}
}

func TestLoadNamesFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != VocabFile || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Load(empty folder) err = %v; want it to name %s and vocab.json", err, dir)
	}
}
