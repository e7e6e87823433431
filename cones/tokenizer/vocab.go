package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Merge is one BPE rule: the adjacent symbols Left and Right become the symbol Left+Right.
type Merge struct {
	Left, Right string
}

// Vocabulary is a byte-level BPE vocabulary: Tokens[id] is the token of each id (in CLIP's byte
// symbols, "</w>" ending a word) and Merges are the merge rules in rank order, first applied first.
type Vocabulary struct {
	Tokens []string
	Merges []Merge
}

// maxVocab bounds the ids a vocab.json may use, so a corrupt file cannot ask for a huge table.
const maxVocab = 1 << 22

// parseVocab reads a vocab.json object {"token": id, ...} whose ids must be exactly 0..n-1.
func parseVocab(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	at := func(err error) error { return lineError("vocab.json", data, dec.InputOffset(), err) }
	if err := expectDelim(dec, '{'); err != nil {
		return nil, syntaxError("vocab.json", data, dec, err)
	}
	byToken := map[string]int{}
	var tokens []string
	var ids []int
	for dec.More() {
		tok, id, err := vocabEntry(dec)
		if err != nil {
			return nil, syntaxError("vocab.json", data, dec, err)
		}
		if _, dup := byToken[tok]; dup {
			return nil, at(fmt.Errorf("token %q appears twice", tok))
		}
		byToken[tok] = id
		tokens = append(tokens, tok)
		ids = append(ids, id)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, syntaxError("vocab.json", data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, at(errors.New("unexpected data after the vocabulary object"))
	}
	return denseVocab(tokens, ids)
}

func vocabEntry(dec *json.Decoder) (string, int, error) {
	kt, err := dec.Token()
	if err != nil {
		return "", 0, err
	}
	tok, _ := kt.(string)
	vt, err := dec.Token()
	if err != nil {
		return "", 0, err
	}
	num, ok := vt.(json.Number)
	if !ok {
		return "", 0, fmt.Errorf("token %q: id is %v, want an integer", tok, vt)
	}
	id, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || id < 0 || id >= maxVocab {
		return "", 0, fmt.Errorf("token %q: id %s is not an integer in [0, %d)", tok, num, maxVocab)
	}
	if tok == "" {
		return "", 0, errors.New("empty token")
	}
	return tok, int(id), nil
}

// denseVocab orders tokens by id and checks the ids are 0..n-1, each once.
func denseVocab(tokens []string, ids []int) ([]string, error) {
	if len(tokens) == 0 {
		return nil, &FileError{File: "vocab.json", Err: errors.New("no tokens")}
	}
	out := make([]string, len(tokens))
	for i, id := range ids {
		if id >= len(out) {
			return nil, &FileError{File: "vocab.json", Err: fmt.Errorf("token %q has id %d, but ids must run from 0 to %d (the file has %d tokens)", tokens[i], id, len(out)-1, len(out))}
		}
		if out[id] != "" {
			return nil, &FileError{File: "vocab.json", Err: fmt.Errorf("id %d is used by both %q and %q", id, out[id], tokens[i])}
		}
		out[id] = tokens[i]
	}
	return out, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("found %v, want %q", t, string(want))
	}
	return nil
}

// syntaxError places a decoding error at its line.
func syntaxError(file string, data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return lineError(file, data, off, err)
}

func lineError(file string, data []byte, off int64, err error) error {
	off = min(max(off, 0), int64(len(data)))
	return &FileError{File: file, Line: 1 + bytes.Count(data[:off], []byte{'\n'}), Err: err}
}

// mergesHeader starts the first line of merges.txt files written by CLIP and Hugging Face.
const mergesHeader = "#version"

// parseMerges reads merges.txt: an optional "#version" first line, then one "left right" pair per
// line in rank order. It returns the merges and the line each came from.
func parseMerges(data []byte) ([]Merge, []int, error) {
	if !utf8.Valid(data) {
		return nil, nil, &FileError{File: "merges.txt", Line: 1 + bytes.Count(data[:firstInvalid(data)], []byte{'\n'}), Err: errors.New("not valid UTF-8")}
	}
	lines := strings.Split(string(data), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	var merges []Merge
	var at []int
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if i == 0 && strings.HasPrefix(line, mergesHeader) {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, nil, &FileError{File: "merges.txt", Line: i + 1, Err: fmt.Errorf("want two symbols separated by a space, got %q", line)}
		}
		merges = append(merges, Merge{Left: f[0], Right: f[1]})
		at = append(at, i+1)
	}
	return merges, at, nil
}

func firstInvalid(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// marshalVocab writes vocab.json with one token per line in id order.
func marshalVocab(tokens []string) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	for id, tok := range tokens {
		b.WriteString("  ")
		b.Write(jsonString(tok))
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(id))
		if id < len(tokens)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// marshalMerges writes merges.txt with CLIP's header line.
func marshalMerges(merges []Merge) []byte {
	var b bytes.Buffer
	b.WriteString(mergesHeader + ": 0.2\n")
	for _, m := range merges {
		b.WriteString(m.Left)
		b.WriteByte(' ')
		b.WriteString(m.Right)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// jsonString encodes s as a JSON string without HTML escaping, so tokens stay readable.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}
