package tokenizer

import (
	"fmt"
	"strings"
)

// Decode turns ids back into text the way CLIP's decoder does: tokens joined, byte symbols
// turned back into bytes, and "</w>" into a space. Special tokens come out as their names
// ("<|startoftext|>"). Cleaning is lossy, so this is the cleaned, lowercased text.
func (t *Tokenizer) Decode(ids []int) (string, error) {
	var b []byte
	for i, id := range ids {
		if id < 0 || id >= len(t.vocab) {
			return "", fmt.Errorf("tokenizer: decode: id %d at %d is outside the vocabulary of %d", id, i, len(t.vocab))
		}
		tok := t.vocab[id]
		if _, special := t.literal[tok]; special {
			b = append(b, tok...)
			continue
		}
		b = symbolBytes(b, tok)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}
