package subject

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // accepted upload formats
	_ "image/png"
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
	if int64(len(data)) > lim.MaxBytes {
		return nil, "", &ImageError{name, ImageTooLarge, fmt.Sprintf("%d bytes, more than the %d a photo may have", len(data), lim.MaxBytes)}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", &ImageError{name, ImageFormat, "not a PNG, JPEG or WebP image (" + err.Error() + ")"}
	}
	if !slices.Contains(Formats, format) {
		return nil, "", &ImageError{name, ImageFormat, format + " images are not accepted (use PNG, JPEG or WebP)"}
	}
	w, h := cfg.Width, cfg.Height
	switch {
	case w <= 0 || h <= 0:
		return nil, "", &ImageError{name, ImageDimension, fmt.Sprintf("the image is %dx%d pixels", w, h)}
	case w > lim.MaxSide || h > lim.MaxSide:
		return nil, "", &ImageError{name, ImageDimension, fmt.Sprintf("%dx%d pixels, more than %d on a side", w, h, lim.MaxSide)}
	case int64(w)*int64(h) > int64(lim.MaxPixels):
		return nil, "", &ImageError{name, ImageDimension, fmt.Sprintf("%dx%d pixels, more than %d in all", w, h, lim.MaxPixels)}
	}
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
