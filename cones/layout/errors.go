package layout

import (
	"errors"
	"fmt"
)

// Sentinel errors callers can test with errors.Is.
var (
	// ErrEmptyRegion: a subject's region covers no pixel (no box, an empty mask, a colour absent
	// from the layout image, or boxes too small for the image size).
	ErrEmptyRegion = errors.New("empty region")
	// ErrEmptyBox: a box with x1 <= x0 or y1 <= y0.
	ErrEmptyBox = errors.New("empty or inverted box")
	// ErrUnknownColor: a colour key that is not "R,G,B" with 0..255 components.
	ErrUnknownColor = errors.New("unknown colour")
)

// SubjectError says which subject of a layout is wrong; problems with one box come wrapped in a
// BoxError.
type SubjectError struct {
	Index int    // position in Layout.Subjects
	Word  string // the subject's word, possibly empty
	Err   error
}

func (e *SubjectError) Error() string {
	return fmt.Sprintf("layout: subject %d %q: %v", e.Index, e.Word, e.Err)
}

func (e *SubjectError) Unwrap() error { return e.Err }

// BoxError says which box of a subject is wrong.
type BoxError struct {
	Box int
	Err error
}

func (e *BoxError) Error() string { return fmt.Sprintf("box %d: %v", e.Box, e.Err) }

func (e *BoxError) Unwrap() error { return e.Err }

// SizeMismatchError: a mask (or a layout image) does not have the size of the image being built.
type SizeMismatchError struct {
	What         string // "mask" or "layout image"
	GotW, GotH   int
	WantW, WantH int
}

func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("%s is %dx%d but the image is %dx%d (resize the layout first)",
		e.What, e.GotW, e.GotH, e.WantW, e.WantH)
}
