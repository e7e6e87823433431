package editor

// HitTest finds what a pointer at p would grab, tol being the grab distance per axis in relative
// units (the page passes a few CSS pixels converted through the canvas scale). The selected box is
// tried first, so its handles stay reachable where boxes overlap; then the others, top-most first.
func (e *Editor) HitTest(p Point, tol Point) (id int, h Handle) {
	if e.selected >= 0 {
		b := e.boxes[e.selected]
		if h := hitHandle(b.Rect, p, tol); h != None && b.Mask == nil {
			return b.ID, h
		}
		if b.Mask != nil && b.Contains(p) {
			return b.ID, Body
		}
	}
	for i := len(e.boxes) - 1; i >= 0; i-- {
		if i == e.selected {
			continue
		}
		// Unselected boxes are grabbed only by their body (handles show on the selected box), so a
		// near miss outside them starts a new box.
		if e.boxes[i].Contains(p) {
			return e.boxes[i].ID, Body
		}
	}
	return 0, None
}

// PointerDown starts a gesture at p: grabbing a box (which becomes selected) or, on empty canvas,
// drawing a new one. It returns the handle grabbed (None when drawing).
func (e *Editor) PointerDown(p Point, tol Point) Handle {
	id, h := e.HitTest(p, tol)
	at := e.pointPx(p)
	if h == None {
		e.selected = -1
		e.drag = drag{active: true, creating: true, index: -1, anchor: at}
		return None
	}
	i := e.index(id)
	e.selected = i
	e.drag = drag{active: true, handle: h, index: i, anchor: at, orig: e.toPx(e.boxes[i].Rect)}
	return h
}

// PointerMove follows the pointer during a gesture and reports whether a box changed.
func (e *Editor) PointerMove(p Point) bool {
	d := &e.drag
	if !d.active {
		return false
	}
	at := e.pointPx(p)
	if d.creating {
		return e.drawTo(at)
	}
	b := &e.boxes[d.index]
	if b.Mask != nil {
		return false // imported pixel regions are not reshaped
	}
	r := e.dragged(d.orig, d.handle, at.x-d.anchor.x, at.y-d.anchor.y)
	old := b.Rect
	b.Rect = e.fromPx(r)
	return b.Rect != old
}

// drawTo spans the new box from the anchor to at. The box appears only once the pointer has
// travelled a minimum size in both directions, so a click on empty canvas just clears the selection.
func (e *Editor) drawTo(at pxPoint) bool {
	d := &e.drag
	dx, dy := at.x-d.anchor.x, at.y-d.anchor.y
	if d.index < 0 {
		if abs(dx) < MinPixels || abs(dy) < MinPixels {
			return false
		}
		e.Add(Rect{}, e.newWord, DefaultStrength)
		d.index = len(e.boxes) - 1
	}
	r := pxRect{d.anchor.x, d.anchor.y, at.x, at.y}
	// Keep the minimum size on the side the pointer is on, so the anchor corner stays put.
	if abs(dx) < MinPixels {
		r.x1 = d.anchor.x + sign(dx)*MinPixels
	}
	if abs(dy) < MinPixels {
		r.y1 = d.anchor.y + sign(dy)*MinPixels
	}
	b := &e.boxes[d.index]
	old := b.Rect
	b.Rect = e.fromPx(e.fit(r))
	e.selected = d.index
	return b.Rect != old
}

// dragged applies a pointer displacement to the edges a handle holds. A moved box keeps its size
// and stops at the image border; a dragged edge stops at the border and at the minimum size.
func (e *Editor) dragged(r pxRect, h Handle, dx, dy int) pxRect {
	if h == Body {
		dx = min(max(dx, -r.x0), e.width-r.x1)
		dy = min(max(dy, -r.y0), e.height-r.y1)
		return pxRect{r.x0 + dx, r.y0 + dy, r.x1 + dx, r.y1 + dy}
	}
	left, top, right, bottom := h.moves()
	if left {
		r.x0 = min(max(r.x0+dx, 0), r.x1-MinPixels)
	}
	if right {
		r.x1 = max(min(r.x1+dx, e.width), r.x0+MinPixels)
	}
	if top {
		r.y0 = min(max(r.y0+dy, 0), r.y1-MinPixels)
	}
	if bottom {
		r.y1 = max(min(r.y1+dy, e.height), r.y0+MinPixels)
	}
	return r
}

// PointerUp ends the gesture.
func (e *Editor) PointerUp(p Point) bool {
	changed := e.PointerMove(p)
	e.drag = drag{}
	return changed
}

// PointerCancel abandons the gesture (the browser took the pointer away, or Escape was pressed):
// a moved box goes back, a box being drawn disappears.
func (e *Editor) PointerCancel() {
	d := e.drag
	e.drag = drag{}
	if !d.active || d.index < 0 {
		return
	}
	if d.creating {
		e.Remove(e.boxes[d.index].ID)
		e.selected = -1
		return
	}
	if e.boxes[d.index].Mask == nil {
		e.boxes[d.index].Rect = e.fromPx(d.orig)
	}
}

// Dragging reports whether a gesture is in progress.
func (e *Editor) Dragging() bool { return e.drag.active }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	if v < 0 {
		return -1
	}
	return 1
}
