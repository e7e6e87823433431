package editor

import "math"

// Edits happen on the output's pixel grid so that clamping is exact and a nudge of one pixel is
// one pixel, with no drift from repeated float arithmetic.
type pxPoint struct{ x, y int }

type pxRect struct{ x0, y0, x1, y1 int }

func (e *Editor) toPx(r Rect) pxRect {
	return pxRect{
		int(math.Round(r.X0 * float64(e.width))), int(math.Round(r.Y0 * float64(e.height))),
		int(math.Round(r.X1 * float64(e.width))), int(math.Round(r.Y1 * float64(e.height))),
	}
}

func (e *Editor) fromPx(r pxRect) Rect {
	w, h := float64(e.width), float64(e.height)
	return Rect{float64(r.x0) / w, float64(r.y0) / h, float64(r.x1) / w, float64(r.y1) / h}
}

func (e *Editor) pointPx(p Point) pxPoint {
	x := p.X * float64(e.width)
	y := p.Y * float64(e.height)
	if math.IsNaN(x) || math.IsNaN(y) {
		return pxPoint{}
	}
	return pxPoint{int(math.Round(clamp(x, 0, float64(e.width)))), int(math.Round(clamp(y, 0, float64(e.height))))}
}

// fit orders the corners, clamps them into the image and grows the box to the minimum size,
// keeping its top-left corner where possible.
func (e *Editor) fit(r pxRect) pxRect {
	if r.x0 > r.x1 {
		r.x0, r.x1 = r.x1, r.x0
	}
	if r.y0 > r.y1 {
		r.y0, r.y1 = r.y1, r.y0
	}
	r.x0, r.x1 = fitSpan(r.x0, r.x1, e.width)
	r.y0, r.y1 = fitSpan(r.y0, r.y1, e.height)
	return r
}

func fitSpan(a, b, size int) (int, int) {
	a = min(max(a, 0), size)
	b = min(max(b, 0), size)
	if b-a < MinPixels {
		b = a + MinPixels
		if b > size {
			a, b = size-MinPixels, size
		}
	}
	return a, b
}
