package jobs

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/cones2web/cones2/server/subject"
)

// pngClaiming is a PNG header claiming w×h pixels over a few bytes of data (a decompression
// bomb's shape).
func pngClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// noisePNG is a PNG of random pixels: it does not compress, so its size is about 3·w·h bytes.
func noisePNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return encodePNG(t, img)
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRefusals: every limit and every malformed request gets its 4xx status and a JSON body
// naming the problem and the field; nothing is queued.
func TestRefusals(t *testing.T) {
	lim := DefaultLimits()
	lim.Image = subject.ImageLimits{MaxBytes: 200 << 10, MaxSide: 1024, MaxPixels: 512 * 512}
	lim.MaxSteps = 50
	s := startService(t, t.TempDir(), Config{Limits: lim})
	var g bytes.Buffer
	if err := gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	with := func(change func(f *form)) *form {
		f := newForm(t, "dog", 2, 3)
		change(f)
		return f
	}
	withPhoto := func(data []byte) *form {
		return with(func(f *form) { f.files[1].data = data })
	}
	for _, c := range []struct {
		name   string
		form   *form
		status int
		code   string
		field  string
	}{
		{"no word", with(func(f *form) { delete(f.fields, "word") }), 400, "missing_word", "word"},
		{"two words", with(func(f *form) { f.fields["word"] = "my dog" }), 400, "bad_word", "word"},
		{"too few photos", newForm(t, "dog", 2, 2), 400, "too_few_images", "images"},
		{"too many photos", newForm(t, "dog", 2, 11), 400, "too_many_images", "images"},
		{"a photo over the byte limit", withPhoto(noisePNG(t, 300, 300)), 413, "image_too_large", "images[1]"},
		{"a GIF", withPhoto(g.Bytes()), 415, "unsupported_format", "images[1]"},
		{"not an image", withPhoto([]byte("just some text")), 415, "unsupported_format", "images[1]"},
		{"a decompression bomb", withPhoto(pngClaiming(60000, 60000)), 422, "image_dimensions", "images[1]"},
		{"too many pixels", withPhoto(pngClaiming(1000, 1000)), 422, "image_dimensions", "images[1]"},
		{"damaged pixels", withPhoto(pngClaiming(40, 40)), 422, "image_corrupt", "images[1]"},
		{"too many steps", with(func(f *form) { f.fields["steps"] = "51" }), 400, "bad_option", "steps"},
		{"steps not a number", with(func(f *form) { f.fields["steps"] = "many" }), 400, "bad_option", "steps"},
		{"a resolution off the grid", with(func(f *form) { f.fields["resolution"] = "80" }), 400, "bad_option", "resolution"},
		{"a resolution over the limit", with(func(f *form) { f.fields["resolution"] = "2048" }), 400, "bad_option", "resolution"},
		{"a negative weight", with(func(f *form) { f.fields["first_weight"] = "-1" }), 400, "bad_option", "first_weight"},
		{"an unknown sentence set", with(func(f *form) { f.fields["sentences"] = "poems" }), 400, "bad_option", "sentences"},
		{"an unknown field", with(func(f *form) { f.fields["stepz"] = "3" }), 400, "unknown_field", "stepz"},
		{"a long field", with(func(f *form) { f.fields["word"] = strings.Repeat("a", 2000) }), 400, "bad_field", "word"},
		{"photos under another name", with(func(f *form) { f.files[0].field = "image" }), 400, "unknown_field", "image"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct, body := c.form.body(t)
			var e apiError
			code := s.do("POST", "/api/train", ct, body, &e)
			if code != c.status || e.Code != c.code || e.Field != c.field || e.Message == "" {
				t.Errorf("got %d %+v, want %d %s on %s", code, e, c.status, c.code, c.field)
			}
			t.Logf("%d %s", code, e.Message)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		var e apiError
		if code := s.do("POST", "/api/train", "application/json", []byte(`{"word":"dog"}`), &e); code != 415 || e.Code != "not_multipart" {
			t.Errorf("got %d %+v", code, e)
		}
	})
	t.Run("another site's page cannot queue or cancel", func(t *testing.T) {
		ct, body := newForm(t, "dog", 2, 3).body(t)
		for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}} {
			req, _ := http.NewRequest("POST", s.url+"/api/train", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%v: status %d", h, resp.StatusCode)
			}
		}
	})
	t.Run("job ids are never paths", func(t *testing.T) {
		for _, id := range []string{"..%2f..%2fetc", "0123456789abcdeg", "0123456789ABCDEF", "%2e%2e"} {
			var e apiError
			if code := s.do("GET", "/api/train/"+id+"/residual", "", nil, &e); code != http.StatusNotFound {
				t.Errorf("%s: %d %+v", id, code, e)
			}
		}
	})
	if n := len(s.m.List()); n != 0 {
		t.Errorf("refused requests queued %d jobs", n)
	}
	in := s.info()
	if in.Limits.MaxImages != 10 || in.Limits.MaxSteps != 50 || in.Defaults.Steps != 3000 || in.Model.Width == 0 || in.Model.Multiple != 32 {
		t.Errorf("info %+v", in)
	}
}
