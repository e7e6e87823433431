package tokenizer

// Span is one token of an encoded text and the bytes of the original text it came from.
type Span struct {
	ID int
	// Start and End delimit the token's bytes in the text as given (before cleaning). A token
	// that is part of a character (CLIP splits rare characters into byte tokens) covers the whole
	// character, so neighbouring spans may overlap; a token from an HTML entity covers the entity.
	// <|startoftext|> is the empty span at 0, <|endoftext|> the empty span at len(text).
	Start, End int
}

// Spans returns, for each token of Encode(text) in order, its id and the bytes of text it came
// from, so that a page can highlight the words it has tokens for while the user types.
func (t *Tokenizer) Spans(text string) []Span {
	e := t.encode(text, true)
	out := make([]Span, len(e.ids))
	for i, id := range e.ids {
		out[i] = Span{ID: int(id), Start: e.spans[i].lo, End: e.spans[i].hi}
	}
	return out
}

// Positions returns the token positions of the first occurrence of phrase in the encoded prompt
// (position 0 is <|startoftext|>), for example the position of a subject's word. Use Occurrences
// for every occurrence.
func (t *Tokenizer) Positions(prompt, phrase string) ([]int, error) {
	all, err := t.Occurrences(prompt, phrase)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// Occurrences returns the token positions of every occurrence of phrase in the encoded prompt,
// left to right and not overlapping. The phrase is tokenised like the prompt, so case, runs of
// whitespace and HTML entities do not matter, and it matches whole words only: "dog" is found in
// "a dog's bowl" and "dog, cat" but not in "dogs" or "hotdog". Only positions the text encoder
// sees count (1 to MaxLength-2 when the prompt is truncated).
//
// Errors: ErrEmptyPhrase when the phrase has no tokens, *PhraseNotFoundError when it does not
// occur, *PhraseTruncatedError when it occurs only past the encoder's context.
func (t *Tokenizer) Occurrences(prompt, phrase string) ([][]int, error) {
	p := t.encode(phrase, false)
	want, wantStarts := p.ids[1:len(p.ids)-1], p.starts[1:len(p.starts)-1]
	if len(want) == 0 {
		return nil, ErrEmptyPhrase
	}
	e := t.encode(prompt, false)
	// Text tokens lie between <|startoftext|> and <|endoftext|>; truncation keeps MaxLength-2.
	end := min(len(e.ids)-1, t.specials.MaxLength-1)
	var out [][]int
	for i := 1; i+len(want) <= len(e.ids)-1; i++ {
		if !matchAt(e, i, want, wantStarts) {
			continue
		}
		if i+len(want) > end {
			if len(out) == 0 {
				return nil, &PhraseTruncatedError{Phrase: phrase, Position: i, Limit: t.specials.MaxLength}
			}
			break
		}
		pos := make([]int, len(want))
		for k := range pos {
			pos[k] = i + k
		}
		out = append(out, pos)
		i += len(want) - 1
	}
	if len(out) == 0 {
		return nil, &PhraseNotFoundError{Phrase: phrase}
	}
	return out, nil
}

// matchAt reports whether the phrase tokens want occur at position i of e as whole words: the
// same ids with the same word boundaries, ending where a word ends.
func matchAt(e encoding, i int, want []int32, starts []bool) bool {
	for k, id := range want {
		if e.ids[i+k] != id || e.starts[i+k] != starts[k] {
			return false
		}
	}
	return e.starts[i+len(want)] // the next token (at worst <|endoftext|>) starts a word
}
