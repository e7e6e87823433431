package subject

import (
	"bytes"
	"encoding/binary"
	"image"
)

// Phones store photos as the sensor read them and say in the EXIF orientation tag how to turn
// them upright; browsers honour it (the page's thumbnails are upright), so training does too.
// (The official script reads images with PIL, which ignores the tag.)

// exifOrientation returns the EXIF orientation (1..8) of a JPEG, PNG or WebP file, or 1 when it
// has none or it cannot be read. It only reads bytes already in memory and never fails.
func exifOrientation(data []byte) int {
	tiff := exifTIFF(data)
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 1
	}
	n := int(bo.Uint16(tiff[off:]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 { // Orientation, SHORT
			if v := int(bo.Uint16(tiff[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// exifTIFF finds the EXIF block (a TIFF structure) of a JPEG (APP1 "Exif\0\0"), PNG (eXIf) or
// WebP (EXIF chunk).
func exifTIFF(d []byte) []byte {
	switch {
	case len(d) > 4 && d[0] == 0xff && d[1] == 0xd8:
		for i := 2; i+4 <= len(d) && d[i] == 0xff; {
			marker, size := d[i+1], int(binary.BigEndian.Uint16(d[i+2:]))
			if marker == 0xda || size < 2 || i+2+size > len(d) { // start of scan: no EXIF after it
				return nil
			}
			seg := d[i+4 : i+2+size]
			if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				return seg[6:]
			}
			i += 2 + size
		}
	case bytes.HasPrefix(d, []byte("\x89PNG\r\n\x1a\n")):
		for i := 8; i+12 <= len(d); {
			size := int(binary.BigEndian.Uint32(d[i:]))
			if size < 0 || i+12+size > len(d) {
				return nil
			}
			if string(d[i+4:i+8]) == "eXIf" {
				return d[i+8 : i+8+size]
			}
			if string(d[i+4:i+8]) == "IDAT" {
				return nil
			}
			i += 12 + size
		}
	case len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP":
		for i := 12; i+8 <= len(d); {
			size := int(binary.LittleEndian.Uint32(d[i+4:]))
			if size < 0 || i+8+size > len(d) {
				return nil
			}
			if string(d[i:i+4]) == "EXIF" {
				return bytes.TrimPrefix(d[i+8:i+8+size], []byte("Exif\x00\x00"))
			}
			i += 8 + size + size%2
		}
	}
	return nil
}

// orient turns an RGBA image upright according to an EXIF orientation.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // 5..8 swap the axes
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // upside down, mirrored
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotate 90° clockwise
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotate 90° counter-clockwise
				dx, dy = y, w-1-x
			}
			si := src.PixOffset(b.Min.X+x, b.Min.Y+y)
			copy(dst.Pix[dst.PixOffset(dx, dy):][:4], src.Pix[si:si+4])
		}
	}
	return dst
}
