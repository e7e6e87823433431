package prompt

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cones2web/cones2/cones/tokenizer"
)

// Kind says why a stretch of the prompt is marked.
type Kind int

const (
	// Subject marks a word bound to a residual from the library (and maybe to layout boxes).
	Subject Kind = iota
	// Placed marks a word that has layout boxes but no residual.
	Placed
	// Over marks text past the tokens the text encoder reads.
	Over
)

// Mark is a stretch of the typed prompt to highlight, in bytes.
type Mark struct {
	Start, End int
	Word       string // the subject or layout word; "" for Over
	Kind       Kind
}

// Binding is a word of the prompt with the token positions of every occurrence the text encoder
// sees (position 0 is <|startoftext|>).
type Binding struct {
	Word      string
	Positions [][]int
	Residual  bool // the word names a subject of the library
	Placed    bool // the word has layout boxes
}

// Analysis is everything the page shows about a prompt.
type Analysis struct {
	Tokens   int // <|startoftext|> and <|endoftext|> included
	Limit    int // the text encoder's context (77)
	Marks    []Mark
	Bindings []Binding
	Problems []error // each a sentence for the page; nil when the prompt can be generated
}

// Problem kinds callers can branch on with errors.Is.
var (
	ErrTooLong        = errors.New("prompt too long")
	ErrMissingSubject = errors.New("layout word not in the prompt")
	ErrTruncated      = errors.New("word past the token limit")
	ErrEmpty          = errors.New("empty prompt")
)

// Problem is a sentence for the page; errors.Is matches its kind (ErrTooLong, ...).
type Problem struct {
	Kind error
	Text string
}

func (p *Problem) Error() string { return p.Text }
func (p *Problem) Unwrap() error { return p.Kind }

func problem(kind error, format string, args ...any) error {
	return &Problem{Kind: kind, Text: fmt.Sprintf(format, args...)}
}

// Analyze tokenises the prompt and binds subject words (from the library) and layout words (that
// have boxes) to their token positions. Library words that do not occur are simply not bound;
// layout words that do not occur are problems, because their boxes would guide nothing.
func Analyze(tok *tokenizer.Tokenizer, prompt string, subjects, placed []string) Analysis {
	spans := tok.Spans(prompt)
	a := Analysis{Tokens: len(spans), Limit: tok.MaxLength()}
	if strings.TrimSpace(prompt) == "" {
		a.Problems = append(a.Problems, problem(ErrEmpty, "Type a prompt that names your subjects"))
	}
	if a.Tokens > a.Limit {
		a.Problems = append(a.Problems, problem(ErrTooLong, "The prompt is %d tokens and the text encoder reads %d (start and end included): shorten it by %d; the marked end is cut off", a.Tokens, a.Limit, a.Tokens-a.Limit))
		// Tokens from Limit-1 on (the last text token the encoder keeps is at Limit-2).
		first := spans[a.Limit-1]
		a.Marks = append(a.Marks, Mark{Start: first.Start, End: len(prompt), Kind: Over})
	}
	for _, w := range words(subjects, placed) {
		b := Binding{Word: w, Residual: containsFold(subjects, w), Placed: containsFold(placed, w)}
		occ, err := tok.Occurrences(prompt, w)
		var trunc *tokenizer.PhraseTruncatedError
		switch {
		case errors.As(err, &trunc):
			a.Problems = append(a.Problems, problem(ErrTruncated, "%q comes after the first %d tokens, which is all the text encoder reads: move it earlier", w, a.Limit-2))
			continue
		case err != nil && b.Placed:
			a.Problems = append(a.Problems, problem(ErrMissingSubject, "%q has boxes in the layout but is not in the prompt: add the word to the prompt or change those boxes", w))
			continue
		case err != nil:
			continue // a library subject this prompt does not use
		}
		b.Positions = occ
		a.Bindings = append(a.Bindings, b)
		kind := Placed
		if b.Residual {
			kind = Subject
		}
		for _, pos := range occ {
			first, last := spans[pos[0]], spans[pos[len(pos)-1]]
			a.Marks = append(a.Marks, Mark{Start: first.Start, End: max(last.End, first.Start), Word: w, Kind: kind})
		}
	}
	slices.SortStableFunc(a.Marks, func(x, y Mark) int { return x.Start - y.Start })
	return a
}

// words merges the two lists without repeats (case-insensitive, as CLIP lowercases), library
// subjects first.
func words(subjects, placed []string) []string {
	var out []string
	for _, w := range slices.Concat(subjects, placed) {
		if strings.TrimSpace(w) != "" && !containsFold(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func containsFold(list []string, w string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, w) })
}

// Segment is a piece of the prompt for drawing the marks: plain text or a marked stretch.
type Segment struct {
	Text   string
	Marked bool
	Mark   Mark
}

// Segments cuts the prompt into plain and marked pieces in order, for the mirror behind the
// textarea. Overlapping marks (a subject word inside the cut-off end) are clipped so the pieces
// tile the text exactly once.
func Segments(prompt string, marks []Mark) []Segment {
	var out []Segment
	at := 0
	for _, m := range marks {
		start, end := max(m.Start, at), min(m.End, len(prompt))
		if start >= end {
			continue
		}
		if start > at {
			out = append(out, Segment{Text: prompt[at:start]})
		}
		out = append(out, Segment{Text: prompt[start:end], Marked: true, Mark: m})
		at = end
	}
	if at < len(prompt) {
		out = append(out, Segment{Text: prompt[at:]})
	}
	return out
}
