package tokenizer

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// span is a byte range [lo, hi) of the original text.
type span struct{ lo, hi int }

// text is a string part way through cleaning. When offsets are tracked (src != nil), src[i] is
// the range of the original text that byte b[i] came from; the ranges never go backwards, so a
// run of bytes b[i:j] came from src[i].lo to src[j-1].hi.
type text struct {
	b   []byte
	src []span
}

func (t *text) tracked() bool { return t.src != nil }

// add appends bytes that all came from sp.
func (t *text) add(p []byte, sp span) {
	t.b = append(t.b, p...)
	if t.src != nil {
		for range p {
			t.src = append(t.src, sp)
		}
	}
}

// copyFrom appends in.b[lo:hi] keeping each byte's origin.
func (t *text) copyFrom(in *text, lo, hi int) {
	t.b = append(t.b, in.b[lo:hi]...)
	if t.src != nil {
		t.src = append(t.src, in.src[lo:hi]...)
	}
}

// cover is the original range of in.b[lo:hi] (hi > lo).
func (t *text) cover(lo, hi int) span {
	return span{t.src[lo].lo, t.src[hi-1].hi}
}

// output starts the result of a stage with room for about n bytes, tracked when in is.
func (t *text) output(n int) text {
	out := text{b: make([]byte, 0, n)}
	if t.tracked() {
		out.src = make([]span, 0, n)
	}
	return out
}

// clean applies CLIP's text cleaning: basic_clean (ftfy, here NFC, then HTML unescaping twice),
// whitespace_clean (runs of whitespace to one space, stripped), then lowercasing.
func clean(s string, track bool) text {
	t := validText(s, track)
	t = nfc(t)
	t = unescapeHTML(unescapeHTML(t))
	t = collapseSpace(t)
	return lower(t)
}

// validText turns s into a text, replacing each byte of invalid UTF-8 by U+FFFD (a browser's
// strings are always valid; Go's may not be).
func validText(s string, track bool) text {
	if !track && utf8.ValidString(s) {
		return text{b: []byte(s)}
	}
	t := text{b: make([]byte, 0, len(s))}
	if track {
		t.src = make([]span, 0, len(s))
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			t.add([]byte(string(utf8.RuneError)), span{i, i + 1})
		} else {
			// Every byte of a character maps to the whole character, so a token holding
			// part of one (CLIP splits rare characters into byte tokens) spans all of it.
			t.add([]byte(s[i:i+n]), span{i, i + n})
		}
		i += n
	}
	return t
}

// nfc puts the text in Unicode Normalization Form C, which stands in for ftfy's fix_text.
func nfc(in text) text {
	if norm.NFC.IsNormal(in.b) {
		return in
	}
	if !in.tracked() {
		return text{b: norm.NFC.Bytes(in.b)}
	}
	out := in.output(len(in.b))
	var it norm.Iter
	it.Init(norm.NFC, in.b)
	for !it.Done() {
		lo := it.Pos()
		seg := it.Next()
		hi := it.Pos()
		if hi <= lo {
			// A decomposition can come out as several segments (U+0F5C gives U+0F5B, then
			// U+0FB7 when the position moves on): credit this one to the character at lo.
			_, n := utf8.DecodeRune(in.b[lo:])
			out.add(seg, in.cover(lo, lo+n))
			continue
		}
		if bytes.Equal(seg, in.b[lo:hi]) {
			out.copyFrom(&in, lo, hi)
		} else {
			out.add(seg, in.cover(lo, hi))
		}
	}
	return out
}

// isPySpace is Python's str.isspace, which str.strip uses: the Unicode White_Space characters
// plus the information separators U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.Is(unicode.White_Space, r) || (r >= 0x1C && r <= 0x1F)
}

// collapseSpace replaces each run of whitespace (regex \s, the White_Space property) by one space
// and strips Python whitespace from both ends.
func collapseSpace(in text) text {
	out := in.output(len(in.b))
	for i := 0; i < len(in.b); {
		r, n := utf8.DecodeRune(in.b[i:])
		if !unicode.Is(unicode.White_Space, r) {
			out.copyFrom(&in, i, i+n)
			i += n
			continue
		}
		j := i + n
		for j < len(in.b) {
			r, n := utf8.DecodeRune(in.b[j:])
			if !unicode.Is(unicode.White_Space, r) {
				break
			}
			j += n
		}
		sp := span{}
		if in.tracked() {
			sp = in.cover(i, j)
		}
		out.add([]byte{' '}, sp)
		i = j
	}
	return strip(out)
}

func strip(t text) text {
	lo, hi := 0, len(t.b)
	for lo < hi {
		r, n := utf8.DecodeRune(t.b[lo:hi])
		if !isPySpace(r) {
			break
		}
		lo += n
	}
	for hi > lo {
		r, n := utf8.DecodeLastRune(t.b[lo:hi])
		if !isPySpace(r) {
			break
		}
		hi -= n
	}
	t.b = t.b[lo:hi]
	if t.tracked() {
		t.src = t.src[lo:hi]
	}
	return t
}
