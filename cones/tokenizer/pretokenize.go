package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// nextWord finds the next pre-token of cleaned text b at or after i, following CLIP's pattern
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// with Python's regex module and IGNORECASE, tried in that order at each position; characters
// no alternative matches are skipped. Two quirks of that engine are kept: under IGNORECASE 's'
// also matches 'ſ' (U+017F), and U+0345 (combining ypogegrammeni, which case-folds to a letter)
// matches neither the letter class nor its negation, so it is dropped.
func nextWord(b []byte, i int) (lo, hi int, ok bool) {
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == '<':
			if m := matchFold(b[i:], startOfText); m > 0 {
				return i, i + m, true
			}
			if m := matchFold(b[i:], endOfText); m > 0 {
				return i, i + m, true
			}
		case r == '\'':
			for _, c := range contractions {
				if m := matchFold(b[i:], c); m > 0 {
					return i, i + m, true
				}
			}
		case unicode.IsLetter(r):
			return i, runEnd(b, i, unicode.IsLetter), true
		case unicode.IsNumber(r):
			return i, i + n, true
		case r == ypogegrammeni || unicode.Is(unicode.White_Space, r):
			i += n
			continue
		}
		return i, runEnd(b, i, isOther), true
	}
	return len(b), len(b), false
}

// ypogegrammeni is U+0345, which CLIP's regex never matches (see nextWord).
const ypogegrammeni = 0x345

var contractions = [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// isOther is the class [^\s\p{L}\p{N}] as the regex engine applies it.
func isOther(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.White_Space, r) && r != ypogegrammeni
}

// runEnd returns the end of the run of characters in class starting at i (b[i] is in it).
func runEnd(b []byte, i int, in func(rune) bool) int {
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if !in(r) {
			break
		}
		i += n
	}
	return i
}

// matchFold reports the byte length of the ASCII literal lit at the start of b, matched as the
// regex engine does after lowercasing ('s' also matches 'ſ'), or 0.
func matchFold(b []byte, lit string) int {
	n := 0
	for k := 0; k < len(lit); k++ {
		if n >= len(b) {
			return 0
		}
		switch {
		case b[n] == lit[k]:
			n++
		case lit[k] == 's' && n+1 < len(b) && b[n] == 0xC5 && b[n+1] == 0xBF: // ſ
			n += 2
		default:
			return 0
		}
	}
	return n
}
