package subject

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gradient is a w×h test image: red rises left to right, green top to bottom, blue constant.
func gradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), 77, 255})
		}
	}
	return img
}

// pngClaiming is a PNG whose header claims w×h pixels but whose data is a few bytes: the
// shape of a decompression bomb.
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
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestDecodeImageLimits(t *testing.T) {
	lim := ImageLimits{MaxBytes: 1 << 20, MaxSide: 512, MaxPixels: 512 * 300}
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, gradient(40, 30), nil); err != nil {
		t.Fatal(err)
	}
	var gf bytes.Buffer
	if err := gif.Encode(&gf, gradient(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	good := encodePNG(t, gradient(40, 30))
	for _, c := range []struct {
		name string
		data []byte
		want ImageProblem
	}{
		{"png", good, 0},
		{"jpeg", jp.Bytes(), 0},
		{"too many bytes", append(good, make([]byte, 1<<20)...), ImageTooLarge},
		{"gif", gf.Bytes(), ImageFormat},
		{"text", []byte("hello, this is not an image"), ImageFormat},
		{"empty", nil, ImageFormat},
		{"bomb: 100000x100000 in a few bytes", pngClaiming(100000, 100000), ImageDimension},
		{"too wide", pngClaiming(513, 10), ImageDimension},
		{"too many pixels", pngClaiming(512, 301), ImageDimension},
		{"header fine, data broken", pngClaiming(50, 50), ImageCorrupt},
		{"truncated", good[:len(good)/2], ImageCorrupt},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, _, err := DecodeImage("photo", c.data, lim)
			var ie *ImageError
			switch {
			case c.want == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == 0:
				if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 30 {
					t.Errorf("decoded %v", b)
				}
			case !errors.As(err, &ie) || ie.Problem != c.want:
				t.Fatalf("got %v, want problem %d", err, c.want)
			default:
				t.Logf("%v", err)
			}
		})
	}
}

// TestPrepareImage: the shorter side is scaled to the size, the centre is cut out, and values
// land in [-1, 1] channel-first.
func TestPrepareImage(t *testing.T) {
	// A 200×100 image: scaled to 128×64... no: the shorter side (100) becomes 64, so 128×64,
	// and the centre 64×64 is kept.
	out := PrepareImage(gradient(200, 100), 64)
	if len(out) != 3*64*64 {
		t.Fatalf("%d values", len(out))
	}
	at := func(c, y, x int) float32 { return out[c*64*64+y*64+x] }
	// Red covers only the middle half of the original's width: about -0.5 .. 0.5.
	if r := at(0, 32, 0); math.Abs(float64(r)+0.5) > 0.05 {
		t.Errorf("red at the crop's left edge %.3f, want about -0.5", r)
	}
	if r := at(0, 32, 63); math.Abs(float64(r)-0.5) > 0.05 {
		t.Errorf("red at the crop's right edge %.3f, want about 0.5", r)
	}
	// Green spans the whole height: -1 .. 1.
	if g := at(1, 0, 10); g > -0.95 {
		t.Errorf("green at the top %.3f, want about -1", g)
	}
	if g := at(1, 63, 10); g < 0.95 {
		t.Errorf("green at the bottom %.3f, want about 1", g)
	}
	if b := at(2, 20, 20); math.Abs(float64(b)-(77/127.5-1)) > 1e-6 {
		t.Errorf("blue %.5f, want %.5f", b, 77/127.5-1)
	}
	// Transparency is dropped, not blended: a transparent red pixel stays red.
	clear := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < len(clear.Pix); i += 4 {
		copy(clear.Pix[i:], []byte{255, 0, 0, 0})
	}
	if r := PrepareImage(clear, 8)[0]; r != 1 {
		t.Errorf("transparent red became %v", r)
	}
	// A tall image crops vertically.
	tall := PrepareImage(gradient(50, 150), 50)
	if g := tall[1*50*50+0*50+25]; math.Abs(float64(g)+1.0/3) > 0.05 {
		t.Errorf("green at the top of a tall crop %.3f, want about -1/3", g)
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(encodePNG(f, gradient(5, 3)))
	f.Add(pngClaiming(100000, 100000))
	f.Add(pngClaiming(3, 3))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, gradient(6, 4), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(append(append([]byte{0xff, 0xd8}, exifAPP1(8)...), jp.Bytes()[2:]...))
	lim := ImageLimits{MaxBytes: 1 << 16, MaxSide: 256, MaxPixels: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := DecodeImage("fuzz", data, lim)
		if err != nil {
			var ie *ImageError
			if !errors.As(err, &ie) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b := img.Bounds()
		if b.Dx() > lim.MaxSide || b.Dy() > lim.MaxSide || b.Dx()*b.Dy() > lim.MaxPixels {
			t.Fatalf("accepted %v beyond the limits", b)
		}
		if out := PrepareImage(img, 16); len(out) != 3*16*16 {
			t.Fatalf("prepared %d values", len(out))
		}
	})
}
