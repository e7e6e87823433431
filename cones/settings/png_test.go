package settings

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/pngtext"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// What ToPNG writes, FromPNG reads back whole, non-ASCII prompt included, and the picture
// still decodes.
func TestPNGRoundTrip(t *testing.T) {
	s := Defaults(512, 384)
	s.Prompt, s.Seed, s.Model = "a mug and a dög ☕", 7, "sd21base"
	s.Subjects = []Subject{{Word: "mug", Residual: strings.Repeat("ab", 32)}}
	s.Layout = []byte(`{"version":1,"negative":-1e8,"subjects":[{"word":"mug","weight":2.5,"boxes":[{"x0":0,"y0":0,"x1":0.5,"y1":1}]}]}`)
	img, err := s.ToPNG(tinyPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("the image no longer decodes: %v", err)
	}
	got, err := FromPNG(img)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Marshal()
	b, _ := got.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatalf("read back\n%s\nwrote\n%s", b, a)
	}
}

func TestFromPNGRefuses(t *testing.T) {
	other, err := (&Settings{Format: Format, Prompt: "x"}).ToPNG(tinyPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(other, []byte(Format), []byte("cones2-settings/9"), 1)
	later, err := pngtext.Write(tinyPNG(t), PNGKeyword, `{"format": "cones2-settings/9", "prompt": "x"}`)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"no settings": {tinyPNG(t), "carries no Cones 2 settings"},
		"not a png":   {[]byte("GIF89a"), "not a PNG"},
		"bad crc":     {edited, "bad CRC"}, // text edited without a new checksum
		"later":       {later, `format "cones2-settings/9"`},
		"too large":   {make([]byte, MaxPNGBytes+1), "at most"},
	} {
		if _, err := FromPNG(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}
