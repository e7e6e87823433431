package tokenizer

// Encode returns the token ids of text: <|startoftext|>, the text's tokens, <|endoftext|>. It is
// not padded and may be longer than MaxLength; see EncodePadded and EncodeTruncated.
func (t *Tokenizer) Encode(text string) []int {
	e := t.encode(text, false)
	return widen(e.ids)
}

// EncodePadded returns exactly MaxLength ids: the encoding followed by the pad token. A prompt
// that does not fit is a *TooLongError (the page asks the user to shorten it, rather than
// silently dropping words).
func (t *Tokenizer) EncodePadded(text string) ([]int, error) {
	ids := t.encode(text, false).ids
	if len(ids) > t.specials.MaxLength {
		return nil, &TooLongError{Tokens: len(ids), Limit: t.specials.MaxLength}
	}
	return t.padded(ids), nil
}

// EncodeTruncated returns exactly MaxLength ids as the official pipelines make them
// (diffusers' tokenizer call with truncation=True, CLIP's tokenize with truncate=True): a prompt
// that is too long keeps its first MaxLength-2 tokens, between <|startoftext|> and <|endoftext|>.
func (t *Tokenizer) EncodeTruncated(text string) []int {
	ids := t.encode(text, false).ids
	if n := t.specials.MaxLength; len(ids) > n {
		ids = append(ids[:n-1], t.eos)
	}
	return t.padded(ids)
}

func (t *Tokenizer) padded(ids []int32) []int {
	out := make([]int, t.specials.MaxLength)
	for i := range out {
		if i < len(ids) {
			out[i] = int(ids[i])
		} else {
			out[i] = int(t.pad)
		}
	}
	return out
}

func widen(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// encoding is a text's tokens; spans and starts are filled when offsets are tracked.
type encoding struct {
	ids    []int32
	spans  []span // original byte range of each token
	starts []bool // whether the token begins a pre-token (word)
}

// encode cleans, pre-tokenises and merges text. With track, it also records where each token
// came from in the original text.
func (t *Tokenizer) encode(s string, track bool) encoding {
	c := clean(s, track)
	e := encoding{ids: make([]int32, 0, 2+len(c.b)/3), starts: make([]bool, 0, 2+len(c.b)/3)}
	if track {
		e.spans = make([]span, 0, cap(e.ids))
	}
	e.push(t.bos, span{0, 0}, true)
	for i := 0; ; {
		lo, hi, ok := nextWord(c.b, i)
		if !ok {
			break
		}
		t.pushWord(&e, &c, lo, hi)
		i = hi
	}
	e.push(t.eos, span{len(s), len(s)}, true)
	return e
}

func (t *Tokenizer) pushWord(e *encoding, c *text, lo, hi int) {
	syms := t.word(c.b[lo:hi])
	at := lo
	for k, sym := range syms {
		end := hi
		if k < len(syms)-1 {
			end = min(at+int(t.symLen[sym]), hi)
		}
		sp := span{}
		if c.tracked() && end > at {
			sp = c.cover(at, end)
		} else if c.tracked() { // cannot happen: every symbol stands for at least one byte
			p := c.src[min(at, hi-1)]
			sp = span{p.hi, p.hi}
		}
		e.push(t.output(sym), sp, k == 0)
		at = end
	}
}

func (e *encoding) push(id int32, sp span, start bool) {
	e.ids = append(e.ids, id)
	e.starts = append(e.starts, start)
	if e.spans != nil {
		e.spans = append(e.spans, sp)
	}
}
