package layout

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// MaxPNGBytes bounds the layout image file read before decoding.
const MaxPNGBytes = 16 << 20

// rgbImage is a decoded layout image: 3 bytes a pixel, row-major.
type rgbImage struct {
	W, H int
	Pix  []uint8
}

// decodeRGB decodes a PNG to 8-bit RGB the way PIL's convert("RGB") sees it: alpha is dropped
// (not composited), grey is repeated, 16-bit channels keep their high byte. The size is checked
// from the header before any pixel is decoded.
func decodeRGB(data []byte) (*rgbImage, error) {
	if len(data) > MaxPNGBytes {
		return nil, fmt.Errorf("png is %d bytes, at most %d", len(data), MaxPNGBytes)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, fmt.Errorf("png is %dx%d, sides must be 1..%d", cfg.Width, cfg.Height, MaxImageSide)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	b := img.Bounds()
	out := &rgbImage{W: b.Dx(), H: b.Dy(), Pix: make([]uint8, 3*b.Dx()*b.Dy())}
	// The common 8-bit RGB(A) layouts are read straight from their pixel buffers; both hold
	// the stored, non-premultiplied bytes (png gives *image.RGBA only for opaque images).
	var pix []uint8
	var stride int
	switch im := img.(type) {
	case *image.RGBA:
		pix, stride = im.Pix, im.Stride
	case *image.NRGBA:
		pix, stride = im.Pix, im.Stride
	}
	if pix != nil {
		for y := range out.H {
			for x := range out.W {
				copy(out.Pix[3*(y*out.W+x):], pix[y*stride+4*x:y*stride+4*x+3])
			}
		}
		return out, nil
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl := storedRGB(img.At(x, y))
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bl
			i += 3
		}
	}
	return out, nil
}

// storedRGB returns the colour as stored in the file, without alpha premultiplication.
func storedRGB(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.RGBA: // opaque truecolour: nothing premultiplied
		return c.R, c.G, c.B
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.NRGBA64:
		return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
	case color.Gray16:
		return uint8(c.Y >> 8), uint8(c.Y >> 8), uint8(c.Y >> 8)
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)
}

// colourMask marks the pixels of exactly this colour.
func (im *rgbImage) colourMask(c [3]uint8) (*Mask, int) {
	m := &Mask{W: im.W, H: im.H, In: make([]bool, im.W*im.H)}
	n := 0
	for p := range m.In {
		if im.Pix[3*p] == c[0] && im.Pix[3*p+1] == c[1] && im.Pix[3*p+2] == c[2] {
			m.In[p] = true
			n++
		}
	}
	return m, n
}
