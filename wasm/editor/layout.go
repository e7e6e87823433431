package editor

import (
	"errors"
	"fmt"
	"math"

	"github.com/cones2web/cones2/cones/layout"
)

// ErrNoWord means a box has not been bound to a subject word yet.
var ErrNoWord = errors.New("box has no subject word")

// Layout turns the boxes into the layout guidance input: one subject per word, in the order the
// words first appear, with that word's boxes and strength. A word that also has an imported
// pixel region becomes one mask at that region's resolution with its boxes painted in.
func (e *Editor) Layout(negative float64) (*layout.Layout, error) {
	l := &layout.Layout{Negative: negative}
	index := map[string]int{}
	for n, b := range e.boxes {
		if b.Word == "" {
			return nil, fmt.Errorf("box %d (%s): %w; pick a subject for it or delete it", n+1, e.Describe(b), ErrNoWord)
		}
		i, ok := index[b.Word]
		if !ok {
			i = len(l.Subjects)
			index[b.Word] = i
			l.Subjects = append(l.Subjects, layout.Subject{Word: b.Word, Weight: b.Strength})
		}
		s := &l.Subjects[i]
		if b.Mask != nil {
			m, err := unionMask(s.Mask, b.Mask)
			if err != nil {
				return nil, fmt.Errorf("subject %q: %w", b.Word, err)
			}
			s.Mask = m
			continue
		}
		s.Boxes = append(s.Boxes, layout.Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1})
	}
	for i := range l.Subjects {
		if s := &l.Subjects[i]; s.Mask != nil && len(s.Boxes) > 0 {
			paintBoxes(s.Mask, s.Boxes)
			s.Boxes = nil
		}
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// SetLayout replaces the boxes with those of a layout (an import): each box subject gives boxes,
// each mask subject one fixed region. Nothing is selected afterwards.
func (e *Editor) SetLayout(l *layout.Layout) error {
	if err := l.Validate(); err != nil {
		return err
	}
	var boxes []Box
	for _, s := range l.Subjects {
		for _, b := range s.Boxes {
			boxes = append(boxes, Box{Word: s.Word, Strength: s.Weight, Rect: Rect{b.X0, b.Y0, b.X1, b.Y1}})
		}
		if s.Mask != nil {
			boxes = append(boxes, Box{Word: s.Word, Strength: s.Weight, Rect: maskBounds(s.Mask), Mask: s.Mask})
		}
	}
	e.Clear()
	for _, b := range boxes {
		if b.Mask != nil {
			e.boxes = append(e.boxes, Box{ID: e.nextID, Word: b.Word, Strength: b.Strength, Rect: b.Rect, Mask: b.Mask})
			e.nextID++
			continue
		}
		e.Add(b.Rect, b.Word, b.Strength)
	}
	e.selected = -1
	return nil
}

// unionMask merges b into a (nil a: a copy of b), at a's size.
func unionMask(a, b *layout.Mask) (*layout.Mask, error) {
	if a == nil {
		return &layout.Mask{W: b.W, H: b.H, In: append([]bool(nil), b.In...)}, nil
	}
	if b.W != a.W || b.H != a.H {
		r, err := b.Resize(a.W, a.H)
		if err != nil {
			return nil, err
		}
		b = r
	}
	for i, in := range b.In {
		a.In[i] = a.In[i] || in
	}
	return a, nil
}

// paintBoxes sets the mask pixels whose centres lie in a box: the rule layout.Build rasterises
// boxes with, so a box means the same pixels whether it stays a box or joins a mask.
func paintBoxes(m *layout.Mask, boxes []layout.Box) {
	for _, b := range boxes {
		x0, x1 := centreSpan(b.X0, b.X1, m.W)
		y0, y1 := centreSpan(b.Y0, b.Y1, m.H)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				m.In[y*m.W+x] = true
			}
		}
	}
}

// centreSpan returns the pixel indices i in [lo, hi) whose centre i+0.5 lies in [a*n, b*n).
func centreSpan(a, b float64, n int) (lo, hi int) {
	c := func(v float64) int { return int(math.Min(math.Max(v, 0), float64(n))) }
	return c(math.Ceil(a*float64(n) - 0.5)), c(math.Ceil(b*float64(n) - 0.5))
}

// maskBounds is the bounding box of a mask's set pixels, relative.
func maskBounds(m *layout.Mask) Rect {
	x0, y0, x1, y1 := m.W, m.H, 0, 0
	for y := range m.H {
		for x := range m.W {
			if m.In[y*m.W+x] {
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x+1), max(y1, y+1)
			}
		}
	}
	w, h := float64(m.W), float64(m.H)
	return Rect{float64(x0) / w, float64(y0) / h, float64(x1) / w, float64(y1) / h}
}
