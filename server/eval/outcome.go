package eval

// Outcome is how one generated picture scored.
type Outcome struct {
	Item Item
	// Present[i] reports whether subject i's colour dominates its box.
	Present []bool
	// KindRight[i] reports whether the largest region of subject i's colour in its box has
	// the subject's outline (false when the colour is absent).
	KindRight []bool
	// Colour is the picture's dominant shape colour over the whole picture (-1 for none), and
	// Kind the outline of its largest region: for the single-subject prompts.
	Colour int
	Kind   int // a shapes.Kind, or -1
	// Confusion classifies a same-kind, two-colour picture (see the Confusion constants).
	Confusion string
}

// Confusion outcomes of a prompt with two shapes of one kind in two colours, each in its box.
const (
	Correct = "correct" // each box dominated by its own colour
	Swapped = "swapped" // each box dominated by the other's colour
	Leaked  = "leaked"  // one colour dominates both boxes, or both colours fill one box
	Missing = "missing" // anything else (a box empty or in a third colour)
)

// Score scores a generated picture against its item.
func Score(it Item, p Picture) (Outcome, error) {
	l, err := Label(p)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{Item: it, Colour: -1, Kind: -1}
	for _, s := range it.Subjects {
		c, _ := l.Dominant(s.Box)
		present := c == s.Colour
		kindRight := false
		if present {
			if rs := l.Regions(s.Colour, s.Box); len(rs) > 0 {
				k, _, ok := rs[0].Kind(l)
				kindRight = ok && k == s.Kind
			}
		}
		o.Present = append(o.Present, present)
		o.KindRight = append(o.KindRight, kindRight)
	}
	o.Colour = mostCovering(l)
	if o.Colour >= 0 {
		if rs := l.Regions(o.Colour, Whole()); len(rs) > 0 {
			if k, _, ok := rs[0].Kind(l); ok {
				o.Kind = int(k)
			}
		}
	}
	if it.Section == SectionConfusion && len(it.Subjects) == 2 {
		o.Confusion = confusion(l, it.Subjects[0], it.Subjects[1])
	}
	return o, nil
}

// mostCovering returns the shape colour with the most pixels in the picture, if it has at least
// MinShapePixels of them (a shape can be small: the share rule of Dominant does not apply).
func mostCovering(l Labels) int {
	counts, _ := l.Counts(Whole())
	best, colour := MinShapePixels-1, -1
	for c, n := range counts {
		if n > best {
			best, colour = n, c
		}
	}
	return colour
}

func confusion(l Labels, a, b Subject) string {
	da, _ := l.Dominant(a.Box)
	db, _ := l.Dominant(b.Box)
	switch {
	case da == a.Colour && db == b.Colour:
		return Correct
	case da == b.Colour && db == a.Colour:
		return Swapped
	case da >= 0 && da == db,
		l.Share(a.Box, a.Colour) >= MinShare && l.Share(a.Box, b.Colour) >= MinShare,
		l.Share(b.Box, a.Colour) >= MinShare && l.Share(b.Box, b.Colour) >= MinShare:
		return Leaked
	}
	return Missing
}

// AllPresent reports whether every subject's colour dominates its box.
func (o Outcome) AllPresent() bool {
	for _, p := range o.Present {
		if !p {
			return false
		}
	}
	return len(o.Present) > 0
}
