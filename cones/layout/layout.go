package layout

import (
	"fmt"
	"math"
)

// ContextLen is the number of text tokens a cross-attention layer attends to (CLIP's 77); the
// weight maps have one column per token.
const ContextLen = 77

// Official defaults of Cones 2 (layout_guidance.py and guidance_config_example.json).
const (
	DefaultWeight   = 2.5
	DefaultNegative = -1e8
)

// Limits on what a layout may hold. They keep sums of weights finite in float32 (77 columns
// times |weight| stays far below the float32 maximum) and bound the work untrusted input can ask
// for.
const (
	MaxAbsWeight = 1e30
	MaxSubjects  = ContextLen
	MaxBoxes     = 256
	MaxImageSide = 2048
	// MaxRegionPixels bounds subjects x pixels, the memory the region masks take (one byte a
	// pixel a subject): 75 subjects at 768x768 fit, a hostile file cannot ask for gigabytes.
	MaxRegionPixels = 64 << 20
	MaxWordBytes    = 256
)

// Box is a rectangle in image-relative coordinates: x to the right, y down, both in [0, 1].
// A pixel belongs to the box when its centre ((x+0.5)/W, (y+0.5)/H) lies in [X0,X1) x [Y0,Y1).
type Box struct {
	X0, Y0, X1, Y1 float64
}

// Mask is a region given pixel by pixel (from a colour layout); In is row-major, H rows of W.
type Mask struct {
	W, H int
	In   []bool
}

// Subject is one word of the prompt placed in a region. Exactly one of Boxes and Mask is set.
type Subject struct {
	Word   string
	Boxes  []Box
	Mask   *Mask
	Weight float64 // strengthen weight inside the region (official default 2.5)
}

// Layout is everything layout guidance needs besides the prompt.
type Layout struct {
	Subjects []Subject
	Negative float64 // weight outside a subject's region (official default -1e8)
}

// Validate checks the layout on its own (without an image size); Build checks the rest.
func (l *Layout) Validate() error {
	if l == nil {
		return fmt.Errorf("layout: nil layout")
	}
	if len(l.Subjects) > MaxSubjects {
		return fmt.Errorf("layout: %d subjects, at most %d", len(l.Subjects), MaxSubjects)
	}
	if err := checkWeight(l.Negative); err != nil {
		return fmt.Errorf("layout: negative weight: %w", err)
	}
	for i := range l.Subjects {
		if err := l.Subjects[i].validate(); err != nil {
			return &SubjectError{Index: i, Word: l.Subjects[i].Word, Err: err}
		}
	}
	return nil
}

func (s *Subject) validate() error {
	if s.Word == "" {
		return fmt.Errorf("empty word")
	}
	if len(s.Word) > MaxWordBytes {
		return fmt.Errorf("word is %d bytes, at most %d", len(s.Word), MaxWordBytes)
	}
	if err := checkWeight(s.Weight); err != nil {
		return fmt.Errorf("weight: %w", err)
	}
	switch {
	case s.Mask != nil && len(s.Boxes) > 0:
		return fmt.Errorf("has both boxes and a mask")
	case s.Mask != nil:
		return s.Mask.validate()
	case len(s.Boxes) == 0:
		return fmt.Errorf("%w: no box and no mask", ErrEmptyRegion)
	case len(s.Boxes) > MaxBoxes:
		return fmt.Errorf("%d boxes, at most %d", len(s.Boxes), MaxBoxes)
	}
	for j, b := range s.Boxes {
		if err := b.validate(); err != nil {
			return &BoxError{Box: j, Err: err}
		}
	}
	return nil
}

func (b Box) validate() error {
	for _, v := range [...]struct {
		name string
		x    float64
	}{{"x0", b.X0}, {"y0", b.Y0}, {"x1", b.X1}, {"y1", b.Y1}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%s is %v, not a finite number", v.name, v.x)
		}
		if v.x < 0 || v.x > 1 {
			return fmt.Errorf("%s = %g is outside the image (coordinates are relative, in [0,1])", v.name, v.x)
		}
	}
	if b.X1 <= b.X0 {
		return fmt.Errorf("%w: x1 = %g is not right of x0 = %g", ErrEmptyBox, b.X1, b.X0)
	}
	if b.Y1 <= b.Y0 {
		return fmt.Errorf("%w: y1 = %g is not below y0 = %g", ErrEmptyBox, b.Y1, b.Y0)
	}
	return nil
}

func (m *Mask) validate() error {
	if m.W <= 0 || m.H <= 0 || m.W > MaxImageSide || m.H > MaxImageSide {
		return fmt.Errorf("mask size %dx%d outside 1..%d", m.W, m.H, MaxImageSide)
	}
	if len(m.In) != m.W*m.H {
		return fmt.Errorf("mask %dx%d holds %d pixels", m.W, m.H, len(m.In))
	}
	for _, in := range m.In {
		if in {
			return nil
		}
	}
	return fmt.Errorf("%w: mask has no pixel set", ErrEmptyRegion)
}

// checkRegionBudget refuses n regions of w x h pixels beyond MaxRegionPixels.
func checkRegionBudget(n, w, h int) error {
	if n*w*h > MaxRegionPixels {
		return fmt.Errorf("%d regions of %dx%d pixels exceed the budget of %d region pixels", n, w, h, MaxRegionPixels)
	}
	return nil
}

// checkWeight accepts finite weights whose float32 value stays finite after summing.
func checkWeight(w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) {
		return fmt.Errorf("%v is not a finite number", w)
	}
	if math.Abs(w) > MaxAbsWeight {
		return fmt.Errorf("|%g| exceeds %g", w, MaxAbsWeight)
	}
	return nil
}
