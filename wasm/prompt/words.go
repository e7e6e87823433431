package prompt

import (
	"slices"
	"strings"
	"unicode"

	"github.com/cones2web/cones2/cones/tokenizer"
)

// stopWords are words nobody places in a layout: articles, conjunctions and the prepositions
// layout prompts put between their subjects ("a dog next to a cat"). Leaving them out keeps the
// subject menus short, and in phrase mode they are where one subject phrase ends.
var stopWords = []string{
	"a", "an", "the", "and", "or", "on", "in", "of", "at", "with", "to", "by", "for", "is", "its",
	"from", "into", "onto", "near", "next", "beside", "behind", "under", "over", "above", "below",
	"between", "inside", "around",
}

// Choices lists what a box can be bound to, each once and lowercased (as CLIP reads it): library
// subjects first (in their order), then what the prompt names, in the prompt's order (Candidates),
// then words boxes already use. Nothing else is offered: a word that left the prompt is gone
// from the list unless a box or the library still holds it.
//
// A phrase of several words is offered only where tok (when not nil) finds it in the prompt
// (tokenizer.Occurrences, the same search that binds it when the image is generated); one it
// does not find, such as a phrase cut off past the token limit, is offered as its words.
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
	for _, c := range Candidates(text, phrases) {
		if len(c) > 1 && tok != nil && !occurs(tok, text, strings.Join(c, " ")) {
			for _, w := range c {
				add(w)
			}
			continue
		}
		add(strings.Join(c, " "))
	}
	for _, w := range placed {
		add(w)
	}
	return out
}

// Candidates reads the prompt's subjects in order, each as its lowercased words. How depends on
// the model's example subjects (phrases): when one of them has several words ("red circle", a
// model whose subjects are a colour and a shape), the model's subjects are phrases, and every
// run of words between stop words and punctuation is one subject ("a big red circle, a blue
// square" -> "big red circle", "blue square"); otherwise (Stable Diffusion's "mug", "dog")
// every word that is not a stop word is one subject by itself.
func Candidates(text string, phrases []string) [][]string {
	var out [][]string
	phraseMode := slices.ContainsFunc(phrases, func(p string) bool { return len(splitWords(p)) > 1 })
	for _, clause := range clauses(text) {
		for _, run := range runs(splitWords(clause)) {
			if phraseMode {
				out = append(out, run)
				continue
			}
			for _, w := range run {
				out = append(out, []string{w})
			}
		}
	}
	return out
}

// occurs says whether the tokenizer finds phrase in text within the tokens the encoder reads.
func occurs(tok *tokenizer.Tokenizer, text, phrase string) bool {
	occ, err := tok.Occurrences(text, phrase)
	return err == nil && len(occ) > 0
}

// clauses cuts text at punctuation other than the marks inside words (' - _): a comma or a full
// stop ends a subject phrase as a stop word does.
func clauses(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsPunct(r) && r != '\'' && r != '-' && r != '_' || unicode.IsSymbol(r)
	})
}

// runs cuts words at stop words into runs of the words between them.
func runs(words []string) [][]string {
	var out [][]string
	start := 0
	for i := 0; i <= len(words); i++ {
		if i < len(words) && !slices.Contains(stopWords, words[i]) {
			continue
		}
		if i > start {
			out = append(out, words[start:i])
		}
		start = i + 1
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
