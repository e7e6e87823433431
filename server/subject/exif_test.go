package subject

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// exifAPP1 is a JPEG APP1 segment holding a little-endian TIFF whose IFD0 has one entry: the
// orientation.
func exifAPP1(o uint16) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	ifd := make([]byte, 2+12+4)
	binary.LittleEndian.PutUint16(ifd[0:], 1)
	binary.LittleEndian.PutUint16(ifd[2:], 0x0112)
	binary.LittleEndian.PutUint16(ifd[4:], 3)
	binary.LittleEndian.PutUint32(ifd[6:], 1)
	binary.LittleEndian.PutUint16(ifd[10:], o)
	payload := append(append([]byte("Exif\x00\x00"), tiff...), ifd...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// A phone photo stored sideways with orientation 6 is decoded upright, as a browser shows it.
func TestDecodeImageOrientation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 16)) // left half red, right half blue
	for y := range 16 {
		for x := range 32 {
			c := color.RGBA{220, 20, 20, 255}
			if x >= 16 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	rotated := append(append(append([]byte{}, plain[:2]...), exifAPP1(6)...), plain[2:]...)
	if o := exifOrientation(rotated); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
	if o := exifOrientation(plain); o != 1 {
		t.Fatalf("orientation %d without EXIF", o)
	}
	got, format, err := DecodeImage("sideways.jpg", rotated, DefaultImageLimits())
	if err != nil || format != "jpeg" {
		t.Fatal(format, err)
	}
	if bnd := got.Bounds(); bnd.Dx() != 16 || bnd.Dy() != 32 {
		t.Fatalf("decoded %v, want 16x32 (turned upright)", bnd)
	}
	// Turned 90° clockwise, the left (red) half is on top.
	if r, _, bl, _ := got.At(8, 4).RGBA(); r < bl {
		t.Errorf("top is not red")
	}
	if r, _, bl, _ := got.At(8, 28).RGBA(); r > bl {
		t.Errorf("bottom is not blue")
	}
}

// orient moves the top-left pixel of a 3×2 image where each orientation puts it.
func TestOrient(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	src.Pix[3] = 255 // only (0,0) has alpha 255
	want := map[int]image.Point{1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 2}, 8: {0, 2}}
	for o, p := range want {
		dst := orient(src, o)
		if o >= 5 && (dst.Bounds().Dx() != 2 || dst.Bounds().Dy() != 3) {
			t.Errorf("orientation %d: size %v", o, dst.Bounds())
		}
		if a := dst.RGBAAt(p.X, p.Y).A; a != 255 {
			t.Errorf("orientation %d: the top-left pixel is not at %v", o, p)
		}
	}
	// A transposed image's second pixel of the first row is the first of the second row.
	src.Pix[4+3] = 128
	if a := orient(src, 5).RGBAAt(0, 1).A; a != 128 {
		t.Errorf("transpose: got alpha %d", a)
	}
}

func TestExifTIFFDamaged(t *testing.T) {
	for _, d := range [][]byte{
		{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff}, // segment longer than the file
		append([]byte{0xff, 0xd8}, exifAPP1(9)...),
		[]byte("RIFF\x10\x00\x00\x00WEBPEXIF\xff\xff\xff\x7f"),
		[]byte("\x89PNG\r\n\x1a\n\x7f\xff\xff\xffeXIf"),
	} {
		if o := exifOrientation(d); o != 1 {
			t.Errorf("%q: orientation %d", d, o)
		}
	}
}
