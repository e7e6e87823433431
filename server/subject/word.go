package subject

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
)

// MaxWordBytes bounds a class word (the page's library takes words of at most 64 bytes).
const MaxWordBytes = 64

var wordPattern = regexp.MustCompile(`^[\p{L}\p{N}_'-]+$`)

// CheckWord says whether w can be a subject's word: one prompt word of letters, digits, _ ' or
// - (the rule of the page's subject library, so every residual made here can be used there).
func CheckWord(w string) error {
	switch {
	case w == "":
		return errors.New("the word is empty")
	case len(w) > MaxWordBytes:
		return fmt.Errorf("the word is %d bytes long, at most %d", len(w), MaxWordBytes)
	case !wordPattern.MatchString(w):
		return fmt.Errorf("%q is not one word: use letters, digits, _ ' or - and no spaces", w)
	}
	return nil
}

// wordTokens returns how many tokens the tokenizer makes of word (k of the preservation loss).
func wordTokens(tok *tokenizer.Tokenizer, word string) (int, error) {
	if err := CheckWord(word); err != nil {
		return 0, err
	}
	pos, err := tok.Positions(word, word)
	if err != nil {
		return 0, fmt.Errorf("word %q: %w", word, err)
	}
	if len(pos) > residual.MaxTokens {
		return 0, fmt.Errorf("word %q is %d tokens, at most %d", word, len(pos), residual.MaxTokens)
	}
	return len(pos), nil
}
