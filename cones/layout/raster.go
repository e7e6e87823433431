package layout

import (
	"fmt"
	"math"
)

// fill marks the pixels whose centre lies in the box and reports whether it marked any.
func (b Box) fill(in []bool, h, w int) bool {
	x0, x1 := span(b.X0, b.X1, w)
	y0, y1 := span(b.Y0, b.Y1, h)
	for y := y0; y < y1; y++ {
		row := in[y*w : (y+1)*w]
		for x := x0; x < x1; x++ {
			row[x] = true
		}
	}
	return x0 < x1 && y0 < y1
}

// span returns the pixel indices i in [lo, hi) whose centre i+0.5 lies in [a*n, b*n).
func span(a, b float64, n int) (lo, hi int) {
	clamp := func(v float64) int { return int(math.Min(math.Max(v, 0), float64(n))) }
	return clamp(math.Ceil(a*float64(n) - 0.5)), clamp(math.Ceil(b*float64(n) - 0.5))
}

// Resize returns the mask at another size by nearest neighbour (the pixel whose area holds the
// new pixel's centre), the way PIL resizes a palette layout. It is what a caller uses to apply a
// layout image drawn at one size to an image of another.
func (m *Mask) Resize(w, h int) (*Mask, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("resize mask: %w", err)
	}
	if w <= 0 || h <= 0 || w > MaxImageSide || h > MaxImageSide {
		return nil, fmt.Errorf("resize mask: size %dx%d outside 1..%d", w, h, MaxImageSide)
	}
	out := &Mask{W: w, H: h, In: make([]bool, w*h)}
	for y := range h {
		sy := min((2*y+1)*m.H/(2*h), m.H-1)
		for x := range w {
			sx := min((2*x+1)*m.W/(2*w), m.W-1)
			out.In[y*w+x] = m.In[sy*m.W+sx]
		}
	}
	return out, nil
}

// ResizeMasks returns a copy of the layout whose masks have the given size; box subjects are
// unchanged (they are relative already).
func (l *Layout) ResizeMasks(w, h int) (*Layout, error) {
	if err := checkRegionBudget(len(l.Subjects), w, h); err != nil {
		return nil, fmt.Errorf("resize masks: %w", err)
	}
	out := &Layout{Negative: l.Negative, Subjects: make([]Subject, len(l.Subjects))}
	copy(out.Subjects, l.Subjects)
	for i := range out.Subjects {
		s := &out.Subjects[i]
		if s.Mask == nil {
			continue
		}
		m, err := s.Mask.Resize(w, h)
		if err != nil {
			return nil, &SubjectError{Index: i, Word: s.Word, Err: err}
		}
		s.Mask = m
	}
	return out, nil
}
