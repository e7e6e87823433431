package tokenizer

import (
	"bytes"
	"html"
	"strconv"
	"unicode/utf8"
)

// unescapeHTML replaces character references the way Python's html.unescape does (CLIP calls it
// twice). Python and Go agree on named references, so those are decoded by html.UnescapeString;
// numeric ones follow Python's rules, which differ from Go's for control characters,
// noncharacters and overlong numbers.
func unescapeHTML(in text) text {
	i := bytes.IndexByte(in.b, '&')
	if i < 0 {
		return in
	}
	out := in.output(len(in.b))
	out.copyFrom(&in, 0, i)
	for i < len(in.b) {
		if in.b[i] != '&' {
			j := bytes.IndexByte(in.b[i:], '&')
			if j < 0 {
				j = len(in.b) - i
			}
			out.copyFrom(&in, i, i+j)
			i += j
			continue
		}
		n, rep := charRef(in.b[i:])
		if n == 0 {
			out.copyFrom(&in, i, i+1)
			i++
			continue
		}
		sp := span{}
		if in.tracked() {
			sp = in.cover(i, i+n)
		}
		out.add(rep, sp)
		i += n
	}
	return out
}

// charRef decodes the character reference at the start of s (which starts with '&'), returning
// the bytes it spans and its replacement; n == 0 when there is none. The syntax is Python's:
// &#digits;? , &#xhex;? , or up to 32 characters other than \t \n \f space < & # ; then ;? .
func charRef(s []byte) (n int, rep []byte) {
	if len(s) < 2 {
		return 0, nil
	}
	if s[1] == '#' {
		return numericRef(s)
	}
	end := 1
	for count := 0; count < 32 && end < len(s); count++ {
		r, size := utf8.DecodeRune(s[end:])
		if r == '\t' || r == '\n' || r == '\f' || r == ' ' || r == '<' || r == '&' || r == '#' || r == ';' {
			break
		}
		end += size
	}
	if end == 1 {
		return 0, nil
	}
	if end < len(s) && s[end] == ';' {
		end++
	}
	ref := string(s[:end])
	dec := html.UnescapeString(ref)
	if dec == ref {
		return 0, nil
	}
	return end, []byte(dec)
}

// numericRef decodes &#123; or &#x7B; (the semicolon is optional).
func numericRef(s []byte) (int, []byte) {
	i, base := 2, 10
	if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
		i, base = 3, 16
	}
	start := i
	value := 0
	for i < len(s) {
		d, ok := digitValue(s[i], base)
		if !ok {
			break
		}
		value = min(value*base+d, utf8.MaxRune+1) // saturate: anything larger is out of range
		i++
	}
	if i == start {
		return 0, nil
	}
	if i < len(s) && s[i] == ';' {
		i++
	}
	return i, codePoint(value)
}

func digitValue(c byte, base int) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case base == 16 && 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case base == 16 && 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// codePoint is Python's replacement for a numeric reference: the HTML5 table for NUL, CR and
// 0x80-0x9F (Windows-1252, which Go's html package shares), U+FFFD for surrogates and values past
// U+10FFFF, nothing for other controls and noncharacters, else the character itself.
func codePoint(v int) []byte {
	switch {
	case v == 0:
		return []byte(string(utf8.RuneError))
	case v == '\r':
		return []byte{'\r'}
	case v >= 0x80 && v <= 0x9F:
		return []byte(html.UnescapeString("&#" + strconv.Itoa(v) + ";"))
	case (v >= 0xD800 && v <= 0xDFFF) || v > utf8.MaxRune:
		return []byte(string(utf8.RuneError))
	case invalidCodePoint(v):
		return []byte{}
	}
	return utf8.AppendRune(nil, rune(v))
}

// invalidCodePoint lists what Python drops: C0 controls other than tab, LF, FF and CR, DEL and
// the C1 range, and the noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane.
func invalidCodePoint(v int) bool {
	switch {
	case v >= 0x1 && v <= 0x8, v == 0xB, v >= 0xE && v <= 0x1F, v >= 0x7F && v <= 0x9F:
		return true
	case v >= 0xFDD0 && v <= 0xFDEF:
		return true
	}
	return v&0xFFFE == 0xFFFE
}
