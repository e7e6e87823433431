package editor

import "math"

// Point is a position in image-relative coordinates: (0,0) is the top-left corner of the output
// image, (1,1) the bottom-right one.
type Point struct{ X, Y float64 }

// Rect is an axis-aligned box in image-relative coordinates with X0 < X1 and Y0 < Y1.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// W and H are the box's width and height (relative).
func (r Rect) W() float64 { return r.X1 - r.X0 }
func (r Rect) H() float64 { return r.Y1 - r.Y0 }

// Contains reports whether p lies inside r, edges included.
func (r Rect) Contains(p Point) bool {
	return p.X >= r.X0 && p.X <= r.X1 && p.Y >= r.Y0 && p.Y <= r.Y1
}

// Handle is the part of a box a pointer grabs: the body moves it, an edge or a corner resizes it.
type Handle uint8

const (
	None Handle = iota
	Body
	N
	NE
	E
	SE
	S
	SW
	W
	NW
)

// Cursor is the CSS cursor that tells a person what dragging this handle will do.
func (h Handle) Cursor() string {
	switch h {
	case Body:
		return "move"
	case N, S:
		return "ns-resize"
	case E, W:
		return "ew-resize"
	case NE, SW:
		return "nesw-resize"
	case NW, SE:
		return "nwse-resize"
	}
	return "crosshair"
}

// moves says which edges of a box a handle drags.
func (h Handle) moves() (left, top, right, bottom bool) {
	switch h {
	case Body:
		return true, true, true, true
	case N:
		return false, true, false, false
	case S:
		return false, false, false, true
	case E:
		return false, false, true, false
	case W:
		return true, false, false, false
	case NE:
		return false, true, true, false
	case NW:
		return true, true, false, false
	case SE:
		return false, false, true, true
	case SW:
		return true, false, false, true
	}
	return false, false, false, false
}

// hitHandle classifies p against r, with tol the grab distance per axis (relative units): a
// point near a corner grabs the corner, near an edge the edge, inside the body the body.
// Small boxes keep a grabbable body: the edge bands never cover more than a third of the box.
func hitHandle(r Rect, p Point, tol Point) Handle {
	if p.X < r.X0-tol.X || p.X > r.X1+tol.X || p.Y < r.Y0-tol.Y || p.Y > r.Y1+tol.Y {
		return None
	}
	tx := math.Min(tol.X, r.W()/3)
	ty := math.Min(tol.Y, r.H()/3)
	left := math.Abs(p.X-r.X0) <= tx || p.X < r.X0
	right := math.Abs(p.X-r.X1) <= tx || p.X > r.X1
	top := math.Abs(p.Y-r.Y0) <= ty || p.Y < r.Y0
	bottom := math.Abs(p.Y-r.Y1) <= ty || p.Y > r.Y1
	switch {
	case top && left:
		return NW
	case top && right:
		return NE
	case bottom && left:
		return SW
	case bottom && right:
		return SE
	case top:
		return N
	case bottom:
		return S
	case left:
		return W
	case right:
		return E
	}
	return Body
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
