package prompt

import (
	"slices"
	"strings"
	"unicode"
)

// stopWords are words nobody places in a layout; leaving them out keeps the subject menus short.
var stopWords = []string{"a", "an", "the", "and", "or", "on", "in", "of", "at", "with", "to", "by", "for", "is", "its"}

// Choices lists the words a box can be bound to: library subjects first (in their order), then
// the other words of the prompt in the order they appear, then words boxes already use, each once
// (lowercased, as CLIP reads them).
func Choices(text string, subjects, placed []string) []string {
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
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '\''
	}) {
		w = strings.Trim(w, "'-")
		if !slices.Contains(stopWords, strings.ToLower(w)) {
			add(w)
		}
	}
	for _, w := range placed {
		add(w)
	}
	return out
}
