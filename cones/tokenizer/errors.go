package tokenizer

import (
	"errors"
	"fmt"
)

// FileError is a problem in one of the tokenizer folder's files, at a line when one is known.
type FileError struct {
	File string // base name, for example "merges.txt"
	Line int    // 1-based; 0 when the problem is not at one line
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// TooLongError says a prompt does not fit the text encoder's context.
type TooLongError struct {
	Tokens int // tokens of the prompt, <|startoftext|> and <|endoftext|> included
	Limit  int // the tokenizer's model_max_length
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("tokenizer: prompt is %d tokens, more than the limit of %d (start and end tokens included); shorten it by %d",
		e.Tokens, e.Limit, e.Tokens-e.Limit)
}

// PhraseNotFoundError says a word or phrase does not occur in a prompt as whole words.
type PhraseNotFoundError struct {
	Phrase string
}

func (e *PhraseNotFoundError) Error() string {
	return fmt.Sprintf("tokenizer: %q does not occur in the prompt as whole words", e.Phrase)
}

// PhraseTruncatedError says a phrase occurs in a prompt only past the tokens the text encoder
// sees, so it has no usable position.
type PhraseTruncatedError struct {
	Phrase   string
	Position int // first token position of the first occurrence
	Limit    int // model_max_length; usable positions are 1 to Limit-2
}

func (e *PhraseTruncatedError) Error() string {
	return fmt.Sprintf("tokenizer: %q starts at token %d, past the %d tokens the text encoder sees; move it earlier in the prompt",
		e.Phrase, e.Position, e.Limit)
}

// ErrEmptyPhrase is returned when a phrase has no tokens (it is empty or only whitespace).
var ErrEmptyPhrase = errors.New("tokenizer: the phrase is empty")
