package prompt

import (
	"slices"
	"strings"
	"unicode"

	"github.com/cones2web/cones2/cones/tokenizer"
)

// stopWords are words nobody places in a layout; leaving them out keeps the subject menus short.
var stopWords = []string{"a", "an", "the", "and", "or", "on", "in", "of", "at", "with", "to", "by", "for", "is", "its"}

// Choices lists what a box can be bound to, each once and lowercased (as CLIP reads it): library
// subjects first (in their order), then the prompt read in order, where a phrase of phrases
// (the model's example subjects, e.g. "red circle") that occurs is offered whole and the words
// inside it are not offered alone, and every other word is offered by itself (stop words left
// out), then words boxes already use. Nothing else is offered: a word that left the prompt is
// gone from the list unless a box or the library still holds it. tok, when not nil, must find a
// phrase in the prompt too (tokenizer.Occurrences, the same search that binds it when the
// image is generated), so a phrase cut off past the token limit is offered as words instead.
func Choices(tok *tokenizer.Tokenizer, text string, phrases, subjects, placed []string) []string {
	var out []string
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "" && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	for _, w := range subjects {
		add(w)
	}
	var found [][]string // the phrases that occur, as words, longest first
	for _, p := range phrases {
		pw := splitWords(p)
		if len(pw) == 0 {
			continue
		}
		if tok != nil {
			if occ, err := tok.Occurrences(text, p); err != nil || len(occ) == 0 {
				continue
			}
		}
		found = append(found, pw)
	}
	slices.SortStableFunc(found, func(a, b []string) int { return len(b) - len(a) })
	tw := splitWords(text)
	for i := 0; i < len(tw); {
		if p := phraseAt(tw, i, found); p != nil {
			add(strings.Join(p, " "))
			i += len(p)
			continue
		}
		if !slices.Contains(stopWords, tw[i]) {
			add(tw[i])
		}
		i++
	}
	for _, w := range placed {
		add(w)
	}
	return out
}

// splitWords splits text into lowercased words: letters, digits, '_', '-' and inner apostrophes.
func splitWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '\''
	}) {
		if w = strings.ToLower(strings.Trim(w, "'-")); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// phraseAt returns the first of phrases whose words start at tw[i].
func phraseAt(tw []string, i int, phrases [][]string) []string {
	for _, p := range phrases {
		if i+len(p) <= len(tw) && slices.Equal(tw[i:i+len(p)], p) {
			return p
		}
	}
	return nil
}
