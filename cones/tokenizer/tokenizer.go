package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"
)

// Tokenizer turns prompts into CLIP token ids. It is safe for concurrent use.
type Tokenizer struct {
	vocab    []string         // id -> token
	ids      map[string]int32 // token -> id
	specials Specials
	bos, eos int32
	pad      int32

	// Symbols are what BPE works on: ids below len(vocab) are vocabulary tokens; the few above
	// are symbols an incomplete vocabulary lacks, emitted as the unk token.
	byteSym [2][256]int32 // [ends word][byte]
	rules   map[uint64]rule
	symLen  []int32 // bytes of text each symbol stands for
	unk     int32   // -1 when there is none
	literal map[string]int32

	mu    sync.Mutex
	cache map[string][]int32 // pre-token -> symbols
}

// cacheLimit bounds the word cache; it is cleared when full (prompts reuse few words).
const cacheLimit = 1 << 16

// mergeError and specialError let Load name the file and line behind a problem New finds.
type mergeError struct {
	index int
	err   error
}

func (e *mergeError) Error() string { return fmt.Sprintf("merge %d: %v", e.index+1, e.err) }
func (e *mergeError) Unwrap() error { return e.err }

type specialError struct {
	key string // the JSON key: "pad_token", "model_max_length", ...
	err error
}

func (e *specialError) Error() string { return fmt.Sprintf("%s: %v", e.key, e.err) }
func (e *specialError) Unwrap() error { return e.err }

// New builds a tokenizer from a vocabulary and its special tokens. Every merge must join two
// symbols that are byte symbols or made by earlier merges (true of any BPE-trained vocabulary,
// CLIP's included), and every symbol must be in the vocabulary unless s.Unk names a token that is.
func New(v *Vocabulary, s Specials) (*Tokenizer, error) {
	t, err := build(v, s)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func build(v *Vocabulary, s Specials) (*Tokenizer, error) {
	if v == nil || len(v.Tokens) == 0 {
		return nil, errors.New("the vocabulary is empty")
	}
	if len(v.Tokens) >= maxVocab {
		return nil, fmt.Errorf("the vocabulary has %d tokens, more than %d", len(v.Tokens), maxVocab)
	}
	t := &Tokenizer{vocab: slices.Clone(v.Tokens), ids: make(map[string]int32, len(v.Tokens)), specials: s, unk: -1,
		rules: make(map[uint64]rule, len(v.Merges)), literal: map[string]int32{}, cache: map[string][]int32{}}
	for id, tok := range v.Tokens {
		if tok == "" || !utf8.ValidString(tok) {
			return nil, fmt.Errorf("token %d (%q) is empty or not valid UTF-8", id, tok)
		}
		if prev, dup := t.ids[tok]; dup {
			return nil, fmt.Errorf("tokens %d and %d are both %q", prev, id, tok)
		}
		t.ids[tok] = int32(id)
	}
	if err := t.setSpecials(s); err != nil {
		return nil, err
	}
	syms := newSymbols(t)
	if err := syms.addBytes(); err != nil {
		return nil, err
	}
	for i, m := range v.Merges {
		if err := syms.addMerge(int32(i), m); err != nil {
			return nil, &mergeError{index: i, err: err}
		}
	}
	t.symLen = syms.length
	for _, lit := range []string{startOfText, endOfText} {
		if id, ok := t.ids[lit]; ok {
			t.literal[lit] = id
		}
	}
	return t, nil
}

func (t *Tokenizer) setSpecials(s Specials) error {
	if s.MaxLength < 2 {
		return &specialError{"model_max_length", fmt.Errorf("%d is too small (start and end tokens need 2)", s.MaxLength)}
	}
	for _, sp := range []struct {
		key string
		tok string
		id  *int32
	}{{"bos_token", s.BOS, &t.bos}, {"eos_token", s.EOS, &t.eos}, {"pad_token", s.Pad, &t.pad}} {
		id, ok := t.ids[sp.tok]
		if !ok {
			return &specialError{sp.key, fmt.Errorf("%q is not in the vocabulary", sp.tok)}
		}
		*sp.id = id
	}
	if id, ok := t.ids[s.Unk]; ok && s.Unk != "" {
		t.unk = id
	}
	return nil
}

// symbols assigns BPE symbols while New reads the byte table and the merges.
type symbols struct {
	t      *Tokenizer
	extra  map[string]int32 // symbols missing from the vocabulary
	made   []bool           // by symbol: a byte symbol or made by a merge so far
	length []int32
}

func newSymbols(t *Tokenizer) *symbols {
	n := len(t.vocab)
	return &symbols{t: t, extra: map[string]int32{}, made: make([]bool, n), length: make([]int32, n)}
}

// id returns the symbol for tok, adding it when the vocabulary lacks it (if there is an unk).
func (s *symbols) id(tok string) (int32, error) {
	if id, ok := s.t.ids[tok]; ok {
		return id, nil
	}
	if id, ok := s.extra[tok]; ok {
		return id, nil
	}
	if s.t.unk < 0 {
		return 0, fmt.Errorf("symbol %q is not in the vocabulary, and there is no unk token to stand for it", tok)
	}
	id := int32(len(s.made))
	s.extra[tok] = id
	s.made = append(s.made, false)
	s.length = append(s.length, 0)
	return id, nil
}

func (s *symbols) addBytes() error {
	for end := range 2 {
		for b := range 256 {
			id, err := s.id(byteSymbol(byte(b), end == 1))
			if err != nil {
				return err
			}
			s.t.byteSym[end][b] = id
			s.made[id] = true
			s.length[id] = 1
		}
	}
	return nil
}

func (s *symbols) addMerge(rank int32, m Merge) error {
	var side [2]int32
	for k, tok := range []string{m.Left, m.Right} {
		id, ok := s.t.ids[tok]
		if !ok {
			id, ok = s.extra[tok]
		}
		if !ok || !s.made[id] {
			return fmt.Errorf("%q is neither a byte symbol nor made by an earlier merge", tok)
		}
		side[k] = id
	}
	key := pairKey(side[0], side[1])
	if prev, dup := s.t.rules[key]; dup {
		return fmt.Errorf("%q %q repeats merge %d", m.Left, m.Right, prev.rank+1)
	}
	res, err := s.id(m.Left + m.Right)
	if err != nil {
		return err
	}
	if !s.made[res] {
		s.made[res] = true
		s.length[res] = s.length[side[0]] + s.length[side[1]]
	}
	s.t.rules[key] = rule{rank: rank, result: res}
	return nil
}

// output is the token id a symbol is emitted as.
func (t *Tokenizer) output(sym int32) int32 {
	if int(sym) < len(t.vocab) {
		return sym
	}
	return t.unk
}

// word returns the symbols of one pre-token, from the cache when it has them.
func (t *Tokenizer) word(w []byte) []int32 {
	if id, ok := t.literal[string(w)]; ok {
		return []int32{id}
	}
	cacheable := len(w) <= 64
	if cacheable {
		t.mu.Lock()
		syms, ok := t.cache[string(w)]
		t.mu.Unlock()
		if ok {
			return syms
		}
	}
	syms := t.bpe(w)
	if cacheable {
		t.mu.Lock()
		if len(t.cache) >= cacheLimit {
			clear(t.cache)
		}
		t.cache[string(w)] = syms
		t.mu.Unlock()
	}
	return syms
}

// MaxLength is the number of tokens the text encoder takes (77 for Stable Diffusion).
func (t *Tokenizer) MaxLength() int { return t.specials.MaxLength }

// Specials returns the special tokens the tokenizer was built with.
func (t *Tokenizer) Specials() Specials { return t.specials }

// Len is the vocabulary size.
func (t *Tokenizer) Len() int { return len(t.vocab) }

// Token returns the vocabulary string of an id, or "" when the id is out of range.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.vocab) {
		return ""
	}
	return t.vocab[id]
}
