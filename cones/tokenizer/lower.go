package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// lower lowercases like Python's str.lower, which CLIP uses: the simple lowercase mapping for
// each character, except U+0130 (I with dot above), whose full mapping is "i" plus U+0307, and
// capital sigma, which becomes final sigma at the end of a word. Go's unicode.ToLower knows
// neither exception.
func lower(in text) text {
	if isLowerASCII(in.b) {
		return in
	}
	out := in.output(len(in.b) + 8)
	var buf [2 * utf8.UTFMax]byte
	for i := 0; i < len(in.b); {
		r, n := utf8.DecodeRune(in.b[i:])
		var p []byte
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			buf[0] = byte(r)
			p = buf[:1]
		case r == 'İ':
			p = append(buf[:0], "i\u0307"...)
		case r == 'Σ' && finalSigma(in.b, i, i+n):
			p = utf8.AppendRune(buf[:0], 'ς')
		default:
			p = utf8.AppendRune(buf[:0], unicode.ToLower(r))
		}
		if in.tracked() && string(p) == string(in.b[i:i+n]) {
			out.copyFrom(&in, i, i+n)
		} else {
			sp := span{}
			if in.tracked() {
				sp = in.cover(i, i+n)
			}
			out.add(p, sp)
		}
		i += n
	}
	return out
}

func isLowerASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// finalSigma reports whether the capital sigma at b[lo:hi] is in Unicode's Final_Sigma context:
// preceded by a cased letter and not followed by one, skipping case-ignorable characters.
func finalSigma(b []byte, lo, hi int) bool {
	i := lo
	before := false
	for i > 0 {
		r, n := utf8.DecodeLastRune(b[:i])
		i -= n
		if !caseIgnorable(r) {
			before = cased(r)
			break
		}
	}
	if !before {
		return false
	}
	for j := hi; j < len(b); {
		r, n := utf8.DecodeRune(b[j:])
		j += n
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

// cased is Unicode's Cased property.
func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is Unicode's Case_Ignorable property: marks, format characters, modifier letters
// and symbols, and the Word_Break MidLetter, MidNumLet and Single_Quote characters (listed here
// because Go's unicode package has no Word_Break table).
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
