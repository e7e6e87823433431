package subject

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // accepted upload formats
	_ "image/png"
	"io"
	"slices"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// Formats are the image formats a subject's photos may come in (image.DecodeConfig's names).
var Formats = []string{"png", "jpeg", "webp"}

// ImageLimits bound what one photo may be, checked before it is decoded.
type ImageLimits struct {
	MaxBytes  int64 // the file's size
	MaxSide   int   // width and height, each
	MaxPixels int   // width times height: what decoding allocates (4 bytes a pixel)
}

// DefaultImageLimits accept phone photos (up to 8192 px a side and 40 megapixels, 25 MB).
func DefaultImageLimits() ImageLimits {
	return ImageLimits{MaxBytes: 25 << 20, MaxSide: 8192, MaxPixels: 40_000_000}
}

// ImageProblem says why a photo was refused; callers branch on it (an HTTP status each).
type ImageProblem int

const (
	ImageTooLarge  ImageProblem = iota + 1 // the file is over MaxBytes
	ImageFormat                            // not PNG, JPEG or WebP (or not an image at all)
	ImageDimension                         // its header's size is over the limits, or empty
	ImageCorrupt                           // the header was fine, the pixels are not
)

// ImageError is a refused photo: which one and why.
type ImageError struct {
	Name    string
	Problem ImageProblem
	Detail  string
}

func (e *ImageError) Error() string { return e.Name + ": " + e.Detail }

// DecodeImage decodes one photo after checking its size, its format and the dimensions its
// header declares, so that a small file claiming a huge image (a decompression bomb) is refused
// before any pixel memory is allocated. It returns the image, turned upright as its EXIF
// orientation says (as browsers show it), and its format (see Formats).
func DecodeImage(name string, data []byte, lim ImageLimits) (image.Image, string, error) {
	hd, err := ImageHeader(name, bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, "", err
	}
	w, h, format := hd.Width, hd.Height, hd.Format
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", &ImageError{name, ImageCorrupt, "the " + format + " data is damaged: " + err.Error()}
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, "", &ImageError{name, ImageCorrupt, fmt.Sprintf("the header says %dx%d, the pixels are %dx%d", w, h, b.Dx(), b.Dy())}
	}
	if o := exifOrientation(data); o != 1 {
		img = orient(opaque(img), o)
	}
	return img, format, nil
}

// ImageHeader checks a photo without decoding a pixel: its size in bytes, its format and the
// dimensions its header declares. r is the file from its start (only the header is read).
func ImageHeader(name string, r io.Reader, size int64, lim ImageLimits) (Header, error) {
	if size > lim.MaxBytes {
		return Header{}, &ImageError{name, ImageTooLarge, fmt.Sprintf("%d bytes, more than the %d a photo may have", size, lim.MaxBytes)}
	}
	// The first bytes are kept aside: PNG's IHDR says whether the file is interlaced, which
	// DecodeConfig does not report and which doubles what decoding allocates.
	var start prefixWriter
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &start))
	if err != nil {
		return Header{}, &ImageError{name, ImageFormat, "not a PNG, JPEG or WebP image (" + err.Error() + ")"}
	}
	if !slices.Contains(Formats, format) {
		return Header{}, &ImageError{name, ImageFormat, format + " images are not accepted (use PNG, JPEG or WebP)"}
	}
	w, h := cfg.Width, cfg.Height
	switch {
	case w <= 0 || h <= 0:
		return Header{}, &ImageError{name, ImageDimension, fmt.Sprintf("the image is %dx%d pixels", w, h)}
	case w > lim.MaxSide || h > lim.MaxSide:
		return Header{}, &ImageError{name, ImageDimension, fmt.Sprintf("%dx%d pixels, more than %d on a side", w, h, lim.MaxSide)}
	case int64(w)*int64(h) > int64(lim.MaxPixels):
		return Header{}, &ImageError{name, ImageDimension, fmt.Sprintf("%dx%d pixels, more than %d in all", w, h, lim.MaxPixels)}
	}
	// IHDR: 8-byte signature, length, "IHDR", width, height, depth, colour, compression,
	// filter, interlace (byte 28).
	interlaced := format == "png" && len(start.b) > 28 && start.b[28] != 0
	return Header{Config: cfg, Format: format, Interlaced: interlaced}, nil
}

// Header is what ImageHeader learns of a photo without decoding it.
type Header struct {
	image.Config
	Format     string // one of Formats
	Interlaced bool   // an interlaced PNG
}

// prefixWriter keeps the first bytes written to it.
type prefixWriter struct{ b []byte }

func (p *prefixWriter) Write(b []byte) (int, error) {
	if n := 64 - len(p.b); n > 0 {
		p.b = append(p.b, b[:min(n, len(b))]...)
	}
	return len(b), nil
}

// DecodeCost is an upper bound on the bytes decoding the photo allocates: its
// pixels in the decoder's own representation, plus the decoder's working buffers. It lets a
// server grant memory before decoding rather than find out after.
func (h Header) DecodeCost() int64 {
	px := int64(h.Width) * int64(h.Height)
	switch h.Format {
	case "png":
		// image/png decodes to the colour model's own type; an interlaced file also holds
		// each pass as an image of its own before merging them.
		bpp := int64(4)
		// A palette is a slice: compared with == in a switch it would panic, so it is told
		// apart by its type first.
		if _, ok := h.ColorModel.(color.Palette); ok {
			bpp = 1
		} else {
			switch h.ColorModel {
			case color.RGBA64Model, color.NRGBA64Model:
				bpp = 8
			case color.Gray16Model:
				bpp = 2
			case color.GrayModel:
				bpp = 1
			}
		}
		if h.Interlaced {
			bpp *= 2
		}
		return bpp*px + 1<<20
	default:
		// JPEG: YCbCr or CMYK planes (at most 4 bytes a pixel) plus, for a progressive file,
		// 16-bit coefficients of every sample (6); WebP: YCbCr with alpha, or NRGBA plus the
		// lossless transforms' buffers. 10 bytes a pixel bounds them all.
		return 10*px + 1<<20
	}
}

// CheckPixels decodes the photo whose header ImageHeader accepted, from r (the file from its
// start), to prove its pixels are sound, and drops them: what a server does before it accepts
// an upload, without keeping the image.
func CheckPixels(name string, r io.Reader, h Header) error {
	img, _, err := image.Decode(r)
	if err != nil {
		return &ImageError{name, ImageCorrupt, "the " + h.Format + " data is damaged: " + err.Error()}
	}
	if b := img.Bounds(); b.Dx() != h.Width || b.Dy() != h.Height {
		return &ImageError{name, ImageCorrupt, fmt.Sprintf("the header says %dx%d, the pixels are %dx%d", h.Width, h.Height, b.Dx(), b.Dy())}
	}
	return nil
}

// PrepareCost bounds the bytes DecodeImage and PrepareImage allocate together for the photo
// held as size file bytes: the decode (DecodeCost), the opaque and upright copies
// (4 bytes a pixel each) and the file itself.
func (h Header) PrepareCost(size int64) int64 {
	return h.DecodeCost() + 8*int64(h.Width)*int64(h.Height) + size
}

// PrepareImage is the official preprocessing with a centre crop: the shorter side scaled to
// size (bilinear, filtering when shrinking, as PIL does), the centre size×size cut out, and
// the RGB values mapped to [-1, 1]. It returns [3, size, size] channel-first. Transparency is
// dropped as PIL's convert("RGB") drops it. (The official script crops at random each epoch;
// with the latents computed once per image a fixed crop is used, and subjects are usually
// centred in their photos.)
func PrepareImage(img image.Image, size int) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// torchvision's Resize(size): the shorter side becomes size, the longer keeps the ratio
	// (truncated).
	nw, nh := size, size
	if w < h {
		nh = int(float64(size) * float64(h) / float64(w))
	} else {
		nw = int(float64(size) * float64(w) / float64(h))
	}
	scaled := image.NewRGBA(image.Rect(0, 0, nw, nh))
	draw.BiLinear.Scale(scaled, scaled.Bounds(), opaque(img), b, draw.Src, nil)
	// torchvision's CenterCrop rounds the offsets.
	top, left := roundHalfEven(float64(nh-size)/2), roundHalfEven(float64(nw-size)/2)
	out := make([]float32, 3*size*size)
	plane := size * size
	for y := range size {
		row := scaled.Pix[(top+y)*scaled.Stride+4*left:]
		for x := range size {
			for c := range 3 {
				out[c*plane+y*size+x] = float32(row[4*x+c])/127.5 - 1
			}
		}
	}
	return out
}

// opaque copies img to RGBA with its alpha dropped (the colour values kept as stored).
func opaque(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		draw.Draw(out, b, img, b.Min, draw.Src) // JPEG's YCbCr and opaque PNGs: a fast copy
		return out
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
		}
	}
	return out
}

// roundHalfEven is Python's round().
func roundHalfEven(x float64) int {
	r := int(x)
	if d := x - float64(r); d > 0.5 || (d == 0.5 && r%2 == 1) {
		r++
	}
	return r
}
