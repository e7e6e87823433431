package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// endOfWord marks the last symbol of a word, as in CLIP's vocabulary.
const endOfWord = "</w>"

// The literal special tokens CLIP's pre-tokenisation pattern recognises in text.
const (
	startOfText = "<|startoftext|>"
	endOfText   = "<|endoftext|>"
)

// byteRunes maps each byte to the printable rune CLIP (like GPT-2) uses for it in vocabulary
// strings: printable Latin-1 bytes stand for themselves, the others are shifted to U+0100 and up,
// so that every token is a readable string without whitespace or control characters.
var byteRunes = makeByteRunes()

// byteOrder lists the bytes in vocabulary order: CLIP's first 256 tokens are the byte symbols
// with the printable ones first, and the next 256 are the same with "</w>".
var byteOrder = makeByteOrder()

func printableByte(b int) bool {
	return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
}

func makeByteRunes() [256]rune {
	var out [256]rune
	next := rune(256)
	for b := range 256 {
		if printableByte(b) {
			out[b] = rune(b)
		} else {
			out[b] = next
			next++
		}
	}
	return out
}

func makeByteOrder() [256]byte {
	var out [256]byte
	i := 0
	for b := range 256 {
		if printableByte(b) {
			out[i] = byte(b)
			i++
		}
	}
	for b := range 256 {
		if !printableByte(b) {
			out[i] = byte(b)
			i++
		}
	}
	return out
}

// byteSymbol is the vocabulary string of one byte, with "</w>" when it ends a word.
func byteSymbol(b byte, final bool) string {
	s := string(byteRunes[b])
	if final {
		s += endOfWord
	}
	return s
}

// baseSymbols lists the 512 symbols every CLIP vocabulary starts with, in CLIP's order.
func baseSymbols() []string {
	out := make([]string, 0, 512)
	for _, b := range byteOrder {
		out = append(out, byteSymbol(b, false))
	}
	for _, b := range byteOrder {
		out = append(out, byteSymbol(b, true))
	}
	return out
}

// symbolBytes turns a vocabulary string back into the bytes it stands for; "</w>" becomes a
// space (as CLIP's decoder does) and runes outside the byte table are kept as UTF-8.
func symbolBytes(dst []byte, tok string) []byte {
	word := strings.HasSuffix(tok, endOfWord)
	tok = strings.TrimSuffix(tok, endOfWord)
	for _, r := range tok {
		if b, ok := runeByte(r); ok {
			dst = append(dst, b)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	if word {
		dst = append(dst, ' ')
	}
	return dst
}

// runeByte inverts byteRunes.
func runeByte(r rune) (byte, bool) {
	switch {
	case r < 256 && printableByte(int(r)):
		return byte(r), true
	case r >= 256 && r < 256+68:
		return byteOrder[188+int(r-256)], true
	}
	return 0, false
}
