package editor

import "fmt"

// Keyboard steps in output pixels: one latent cell, or one pixel with Alt for fine placement.
const (
	KeyStep     = 8
	KeyFineStep = 1
)

// KeyHelp says, in words for the page, what Key does.
const KeyHelp = "Arrow keys move the selected box (Alt: one pixel), Shift+Arrow keys resize it, " +
	"Delete removes it, [ and ] select the previous or next box, Insert adds a box, Escape deselects."

// Key applies a key press (the DOM KeyboardEvent.key value) to the layout and reports whether it
// was one of the editor's keys, so the page only swallows keys it used: Tab keeps moving focus.
func (e *Editor) Key(key string, shift, alt bool) bool {
	step := KeyStep
	if alt {
		step = KeyFineStep
	}
	switch key {
	case "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown":
		if e.selected < 0 {
			return len(e.boxes) > 0 && e.cycle(1)
		}
		dx, dy := arrow(key, step)
		e.nudge(dx, dy, shift)
		return true
	case "Delete", "Backspace":
		if e.selected < 0 {
			return false
		}
		e.Remove(e.boxes[e.selected].ID)
		return true
	case "]", "PageDown":
		return e.cycle(1)
	case "[", "PageUp":
		return e.cycle(-1)
	case "Insert", "+":
		e.AddCentered()
		return true
	case "Escape":
		if e.drag.active {
			e.PointerCancel()
			return true
		}
		if e.selected >= 0 {
			e.selected = -1
			return true
		}
	}
	return false
}

func arrow(key string, step int) (dx, dy int) {
	switch key {
	case "ArrowLeft":
		return -step, 0
	case "ArrowRight":
		return step, 0
	case "ArrowUp":
		return 0, -step
	}
	return 0, step
}

// nudge moves the selected box, or with resize moves its right and bottom edges, clamped the
// same way as a pointer drag.
func (e *Editor) nudge(dx, dy int, resize bool) {
	b := &e.boxes[e.selected]
	if b.Mask != nil {
		return
	}
	h := Body
	if resize {
		h = SE
	}
	b.Rect = e.fromPx(e.dragged(e.toPx(b.Rect), h, dx, dy))
}

// cycle moves the selection through the boxes in drawing order, wrapping around.
func (e *Editor) cycle(delta int) bool {
	n := len(e.boxes)
	if n == 0 {
		return false
	}
	if e.selected < 0 {
		if delta > 0 {
			e.selected = 0
		} else {
			e.selected = n - 1
		}
		return true
	}
	e.selected = ((e.selected+delta)%n + n) % n
	return true
}

// Describe says where a box is, in output pixels, for screen readers and the box list.
func (e *Editor) Describe(b Box) string {
	r := e.toPx(b.Rect)
	word := b.Word
	if word == "" {
		word = "no subject"
	}
	if b.Mask != nil {
		return fmt.Sprintf("%s: imported region around x %d, y %d, %d×%d px, strength %g", word, r.x0, r.y0, r.x1-r.x0, r.y1-r.y0, b.Strength)
	}
	return fmt.Sprintf("%s: x %d, y %d, %d×%d px, strength %g", word, r.x0, r.y0, r.x1-r.x0, r.y1-r.y0, b.Strength)
}

// Pixels returns a box's rectangle in output pixels (x, y, width, height).
func (e *Editor) Pixels(b Box) (x, y, w, h int) {
	r := e.toPx(b.Rect)
	return r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0
}
