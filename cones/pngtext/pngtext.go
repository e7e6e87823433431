package pngtext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf8"
)

var signature = []byte("\x89PNG\r\n\x1a\n")

// ErrNotPNG means the bytes do not start with the PNG signature.
var ErrNotPNG = errors.New("not a PNG file")

// chunk is one chunk of a PNG stream: its type and the byte range of its data.
type chunk struct {
	typ        string
	start, end int // data bytes; the chunk itself spans start-8 .. end+4
}

// chunks splits a PNG into its chunks, checking lengths and CRCs, and stops after IEND.
func chunks(b []byte) ([]chunk, error) {
	if !bytes.HasPrefix(b, signature) {
		return nil, ErrNotPNG
	}
	var out []chunk
	for off := len(signature); ; {
		if len(b)-off < 12 {
			return nil, fmt.Errorf("png: truncated chunk at byte %d", off)
		}
		n := binary.BigEndian.Uint32(b[off:])
		typ := string(b[off+4 : off+8])
		if n > uint32(len(b)-off-12) {
			return nil, fmt.Errorf("png: chunk %q at byte %d claims %d bytes, only %d left", typ, off, n, len(b)-off-12)
		}
		c := chunk{typ: typ, start: off + 8, end: off + 8 + int(n)}
		if got, want := crc32.ChecksumIEEE(b[off+4:c.end]), binary.BigEndian.Uint32(b[c.end:]); got != want {
			return nil, fmt.Errorf("png: chunk %q at byte %d: bad CRC", typ, off)
		}
		if len(out) == 0 && typ != "IHDR" {
			return nil, fmt.Errorf("png: first chunk is %q, want IHDR", typ)
		}
		out = append(out, c)
		off = c.end + 4
		if typ == "IEND" {
			return out, nil
		}
	}
}

// Read returns the tEXt chunks of a PNG as keyword → text (Latin-1 decoded to UTF-8). When a
// keyword repeats, the first one wins.
func Read(b []byte) (map[string]string, error) {
	cs, err := chunks(b)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range cs {
		if c.typ != "tEXt" {
			continue
		}
		key, text, ok := bytes.Cut(b[c.start:c.end], []byte{0})
		if !ok || checkKeyword(string(key)) != nil {
			return nil, fmt.Errorf("png: malformed tEXt chunk at byte %d", c.start-8)
		}
		if _, dup := out[string(key)]; !dup {
			out[string(key)] = latin1ToUTF8(text)
		}
	}
	return out, nil
}

// Write returns a copy of the PNG with a tEXt chunk keyword=text placed right after IHDR (where
// readers that stream look for metadata), replacing any tEXt chunk with the same keyword. The
// text must be Latin-1 (callers with arbitrary Unicode escape it first, as JSON can).
func Write(b []byte, keyword, text string) ([]byte, error) {
	if err := checkKeyword(keyword); err != nil {
		return nil, err
	}
	data, err := utf8ToLatin1(text)
	if err != nil {
		return nil, err
	}
	cs, err := chunks(b)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(keyword)+len(data)+13)
	out = append(out, signature...)
	for i, c := range cs {
		whole := b[c.start-8 : c.end+4]
		if c.typ == "tEXt" && bytes.HasPrefix(b[c.start:c.end], append([]byte(keyword), 0)) {
			continue
		}
		out = append(out, whole...)
		if i == 0 {
			out = appendChunk(out, "tEXt", append(append([]byte(keyword), 0), data...))
		}
	}
	return out, nil
}

func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// checkKeyword applies the PNG rules: 1-79 printable Latin-1 characters, no leading, trailing
// or doubled spaces.
func checkKeyword(k string) error {
	if len(k) == 0 || len(k) > 79 {
		return fmt.Errorf("png: text keyword %q must be 1 to 79 characters", k)
	}
	if strings.HasPrefix(k, " ") || strings.HasSuffix(k, " ") || strings.Contains(k, "  ") {
		return fmt.Errorf("png: text keyword %q has leading, trailing or double spaces", k)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 32 || c > 126 {
			return fmt.Errorf("png: text keyword %q: use printable ASCII", k)
		}
	}
	return nil
}

func utf8ToLatin1(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i, r := range s {
		if r == utf8.RuneError && len(s[i:]) > 0 {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return nil, fmt.Errorf("png: text is not valid UTF-8 at byte %d", i)
			}
		}
		if r == 0 || r > 0xff {
			return nil, fmt.Errorf("png: text has %q at byte %d, which tEXt (Latin-1) cannot hold", r, i)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func latin1ToUTF8(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}
