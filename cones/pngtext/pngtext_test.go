package pngtext

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{200, 10, 30, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripKeepsImage(t *testing.T) {
	src := tinyPNG(t)
	text := `{"prompt":"a dog, naïve","seed":42}`
	out, err := Write(src, "cones2", text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if got["cones2"] != text {
		t.Errorf("read %q, want %q", got["cones2"], text)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode with text chunk: %v", err)
	}
	if c := color.RGBAModel.Convert(img.At(1, 1)).(color.RGBA); c != (color.RGBA{200, 10, 30, 255}) {
		t.Errorf("pixel changed: %v", c)
	}
	// Writing again replaces rather than adds.
	out2, err := Write(out, "cones2", "second")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out2, []byte("tEXtcones2")); n != 1 {
		t.Errorf("%d cones2 chunks after rewriting", n)
	}
	if got, _ := Read(out2); got["cones2"] != "second" {
		t.Errorf("rewritten text %q", got["cones2"])
	}
	// Placed right after IHDR: at byte 8+25.
	if !bytes.Equal(out2[33+4:33+8], []byte("tEXt")) {
		t.Error("text chunk not right after IHDR")
	}
}

func TestOtherKeywordsKept(t *testing.T) {
	out, err := Write(tinyPNG(t), "Software", "cones2")
	if err != nil {
		t.Fatal(err)
	}
	out, err = Write(out, "cones2", "{}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(out)
	if err != nil || got["Software"] != "cones2" || got["cones2"] != "{}" || len(got) != 2 {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestWriteRejects(t *testing.T) {
	src := tinyPNG(t)
	tests := []struct{ name, key, text, want string }{
		{"empty keyword", "", "x", "1 to 79"},
		{"long keyword", strings.Repeat("k", 80), "x", "1 to 79"},
		{"spaced keyword", " k", "x", "spaces"},
		{"non-ascii keyword", "kä", "x", "printable"},
		{"beyond latin-1", "k", "dog 🐕", "Latin-1"},
		{"nul in text", "k", "a\x00b", "Latin-1"},
		{"invalid utf-8", "k", "a\xffb", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Write(src, tt.key, tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestReadRejectsBrokenFiles(t *testing.T) {
	good, _ := Write(tinyPNG(t), "cones2", "hello")
	flip := bytes.Clone(good)
	flip[40] ^= 1 // inside the text chunk's data: CRC no longer matches
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a PNG"},
		{"jpeg", []byte("\xff\xd8\xff\xe0rest"), "not a PNG"},
		{"truncated", good[:len(good)-6], "truncated"},
		{"bad crc", flip, "bad CRC"},
		{"huge length", append(bytes.Clone(signature), 0x7f, 0xff, 0xff, 0xff, 'I', 'H', 'D', 'R', 0, 0, 0, 0), "claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if tt.name == "jpeg" && !errors.Is(err, ErrNotPNG) {
				t.Error("not ErrNotPNG")
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	good, _ := Write(tinyPNG(f), "cones2", `{"seed":1}`)
	f.Add(good)
	f.Add(tinyPNG(f))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		texts, err := Read(b)
		if err != nil {
			return
		}
		// Whatever reads also rewrites, and the rewrite reads back the same.
		out, err := Write(b, "cones2", "x")
		if err != nil {
			t.Fatalf("readable PNG not writable: %v", err)
		}
		again, err := Read(out)
		if err != nil || again["cones2"] != "x" {
			t.Fatalf("rewrite unreadable: %v %v", again, err)
		}
		for k, v := range texts {
			if k != "cones2" && again[k] != v {
				t.Fatalf("keyword %q changed from %q to %q", k, v, again[k])
			}
		}
	})
}
