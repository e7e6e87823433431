package editor

import (
	"fmt"
	"math"
	"slices"

	"github.com/cones2web/cones2/cones/layout"
)

// DefaultStrength is the amount added to a subject's attention scores inside its box before the
// per-layer scaling: the official Cones 2 value.
const DefaultStrength = 2.5

// MaxStrength bounds what a person can type: far beyond it the softmax saturates and the image
// collapses onto the subject, which is never what was meant.
const MaxStrength = 10

// MinPixels is the smallest box side in output pixels: one latent cell (the VAE downsamples by 8),
// the finest detail layout guidance can act on.
const MinPixels = 8

// Box is one region of the layout: where the subject named Word should appear.
type Box struct {
	ID       int     // stable while the editor lives; not part of the saved layout
	Word     string  // subject word bound to this box; "" until the person picks one
	Strength float64 // attention boost inside the box
	Rect             // image-relative, snapped to whole output pixels
	// Mask, when set, is a region imported pixel by pixel (an official colour layout). Rect is
	// then its bounding box; the region can be selected, rebound and deleted but not reshaped.
	Mask *layout.Mask
}

// Editor holds the boxes of one layout and the state of a pointer drag. The zero value is not
// usable; call New.
type Editor struct {
	width, height int
	boxes         []Box
	selected      int // index into boxes, -1 when nothing is selected
	nextID        int
	newWord       string
	drag          drag
}

// drag is an ongoing pointer gesture: moving or resizing an existing box, or drawing a new one.
type drag struct {
	active   bool
	creating bool   // drawing a new box from anchor; index is -1 until it is big enough
	handle   Handle // which edges follow the pointer
	index    int
	anchor   pxPoint
	orig     pxRect
}

// New returns an empty editor for an output image of width x height pixels.
func New(width, height int) (*Editor, error) {
	if err := checkSize(width, height); err != nil {
		return nil, err
	}
	return &Editor{width: width, height: height, selected: -1, nextID: 1}, nil
}

func checkSize(width, height int) error {
	if width < MinPixels || height < MinPixels || width > 8192 || height > 8192 {
		return fmt.Errorf("layout editor: size %dx%d out of range %d..8192", width, height, MinPixels)
	}
	return nil
}

// Size is the output image size the editor works in.
func (e *Editor) Size() (width, height int) { return e.width, e.height }

// SetSize changes the output size. Boxes keep their relative place, re-snapped to the new pixel
// grid and grown where they would fall under the minimum size.
func (e *Editor) SetSize(width, height int) error {
	if err := checkSize(width, height); err != nil {
		return err
	}
	e.width, e.height = width, height
	for i := range e.boxes {
		if e.boxes[i].Mask == nil {
			e.boxes[i].Rect = e.fromPx(e.fit(e.toPx(e.boxes[i].Rect)))
		}
	}
	e.drag = drag{}
	return nil
}

// Boxes returns a copy of the boxes, bottom-most first (the drawing order).
func (e *Editor) Boxes() []Box { return slices.Clone(e.boxes) }

// Len is the number of boxes.
func (e *Editor) Len() int { return len(e.boxes) }

// Selected returns the selected box, if any.
func (e *Editor) Selected() (Box, bool) {
	if e.selected < 0 {
		return Box{}, false
	}
	return e.boxes[e.selected], true
}

// Select makes the box with this ID the selected one; 0 clears the selection.
func (e *Editor) Select(id int) bool {
	if id == 0 {
		e.selected = -1
		return true
	}
	i := e.index(id)
	if i < 0 {
		return false
	}
	e.selected = i
	return true
}

// SetNewWord sets the subject word that newly drawn boxes get.
func (e *Editor) SetNewWord(word string) { e.newWord = word }

// Add puts a new box on top, selects it and returns its ID. The rectangle is clamped into the
// image, snapped to pixels and grown to the minimum size.
func (e *Editor) Add(r Rect, word string, strength float64) int {
	b := Box{ID: e.nextID, Word: word, Strength: strength, Rect: e.fromPx(e.fit(e.toPx(r)))}
	e.nextID++
	e.boxes = append(e.boxes, b)
	e.selected = len(e.boxes) - 1
	return b.ID
}

// AddCentered adds a box a third of the image in size in the middle, for people without a pointer.
func (e *Editor) AddCentered() int {
	return e.Add(Rect{1.0 / 3, 1.0 / 3, 2.0 / 3, 2.0 / 3}, e.newWord, DefaultStrength)
}

// Remove deletes the box with this ID. The selection moves to the box below it, if any.
func (e *Editor) Remove(id int) bool {
	i := e.index(id)
	if i < 0 {
		return false
	}
	e.boxes = slices.Delete(e.boxes, i, i+1)
	switch {
	case len(e.boxes) == 0:
		e.selected = -1
	case e.selected >= i:
		e.selected = max(0, e.selected-1)
	}
	e.drag = drag{}
	return true
}

// Clear removes every box.
func (e *Editor) Clear() {
	e.boxes, e.selected, e.drag = nil, -1, drag{}
}

// SetWord binds the box to a subject word. A strength is a property of the subject in the layout
// guidance, so the box takes the strength the word's other boxes already have.
func (e *Editor) SetWord(id int, word string) bool {
	i := e.index(id)
	if i < 0 {
		return false
	}
	e.boxes[i].Word = word
	for _, b := range e.boxes {
		if b.Word == word && b.ID != id && word != "" {
			e.boxes[i].Strength = b.Strength
			break
		}
	}
	return true
}

// SetStrength sets the attention boost of a box and of every other box of the same subject;
// values outside (0, MaxStrength] are refused.
func (e *Editor) SetStrength(id int, s float64) error {
	if math.IsNaN(s) || s <= 0 || s > MaxStrength {
		return fmt.Errorf("strength %v: want a number above 0 and at most %d", s, MaxStrength)
	}
	i := e.index(id)
	if i < 0 {
		return fmt.Errorf("no box %d", id)
	}
	word := e.boxes[i].Word
	for j := range e.boxes {
		if j == i || (word != "" && e.boxes[j].Word == word) {
			e.boxes[j].Strength = s
		}
	}
	return nil
}

// RenameWord rebinds every box of one subject to another word (a subject renamed in the library).
func (e *Editor) RenameWord(from, to string) {
	for i := range e.boxes {
		if e.boxes[i].Word == from {
			e.boxes[i].Word = to
		}
	}
}

func (e *Editor) index(id int) int {
	return slices.IndexFunc(e.boxes, func(b Box) bool { return b.ID == id })
}
