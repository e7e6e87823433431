package request

import (
	"fmt"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
)

// Row is one residual row placed in the prompt: Vector is added to the conditional text
// embedding (after the final layer norm) at token position Token (0 is <|startoftext|>).
type Row struct {
	Word   string // the subject's word, for messages
	Token  int
	Vector []float32 // a view of the residual's data, not a copy
}

// Rows places a residual in the prompt: its i-th row at the i-th token of every occurrence of
// its word. That is the official rule (the residual is added wherever the word's tokens
// appear), so a prompt that names a subject twice moves both places. The residual is checked
// against the model first: a file made for another text encoder or width is refused.
func Rows(tok *tokenizer.Tokenizer, prompt string, r *residual.Residual, m residual.Model, width int) ([]Row, error) {
	if err := r.Check(m, width); err != nil {
		return nil, err
	}
	occ, err := tok.Occurrences(prompt, r.Word)
	if err != nil {
		return nil, err
	}
	var out []Row
	for _, pos := range occ {
		if len(pos) != r.Tokens || len(r.Data) != r.Tokens*width {
			return nil, fmt.Errorf("the residual has %d vectors (one per token of its word), but %q is %d token(s) in this prompt: it was made with another tokenizer",
				r.Tokens, r.Word, len(pos))
		}
		for i, p := range pos {
			out = append(out, Row{Word: r.Word, Token: p, Vector: r.Row(i)})
		}
	}
	return out, nil
}
