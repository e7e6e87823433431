package layout

import (
	"fmt"
	"slices"
)

// Weights is a layout rasterised at one image size for one prompt: the official CA_WEIGHT_ORIG
// map, kept as one region plane per subject so that the resizes touch only the columns that are
// not zero (at 512x512 the full [H, W, 77] map alone is 80 MB).
type Weights struct {
	H, W     int
	subjects []subjectPlane // in layout order: the order the official code sums in
	columns  []int          // token columns some subject writes, ascending
}

// subjectPlane is one subject at the image size: its region, the values inside and outside, and
// the token columns it writes.
type subjectPlane struct {
	in              []bool // H*W, row-major
	inside, outside float32
	cols            []int // ascending, distinct
}

// value is what this subject adds to its columns at pixel p.
func (s *subjectPlane) value(p int) float32 {
	if s.in[p] {
		return s.inside
	}
	return s.outside
}

// Build rasterises the layout at an image of h rows and w columns. positions[i] lists the token
// positions (0 = <|startoftext|>) that subject i's word occupies in the prompt, as the tokenizer's
// Positions reports them; every occurrence of the word gets the subject's map.
func (l *Layout) Build(h, w int, positions [][]int) (*Weights, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if h <= 0 || w <= 0 || h > MaxImageSide || w > MaxImageSide {
		return nil, fmt.Errorf("layout: image size %dx%d outside 1..%d", w, h, MaxImageSide)
	}
	if err := checkRegionBudget(len(l.Subjects), w, h); err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	if len(positions) != len(l.Subjects) {
		return nil, fmt.Errorf("layout: %d position lists for %d subjects", len(positions), len(l.Subjects))
	}
	out := &Weights{H: h, W: w}
	seen := map[int]bool{}
	for i := range l.Subjects {
		sp, err := l.subjectPlane(i, h, w, positions[i])
		if err != nil {
			return nil, &SubjectError{Index: i, Word: l.Subjects[i].Word, Err: err}
		}
		out.subjects = append(out.subjects, sp)
		for _, c := range sp.cols {
			if !seen[c] {
				seen[c] = true
				out.columns = append(out.columns, c)
			}
		}
	}
	slices.Sort(out.columns)
	return out, nil
}

func (l *Layout) subjectPlane(i, h, w int, pos []int) (subjectPlane, error) {
	s := &l.Subjects[i]
	cols, err := checkPositions(pos)
	if err != nil {
		return subjectPlane{}, err
	}
	in, err := s.region(h, w)
	if err != nil {
		return subjectPlane{}, err
	}
	inside := float32(s.Weight)
	// The official code builds where(region, weight, neg) and then replaces every 0 that lies in
	// a coloured region by neg: a zero weight therefore means "negative here too".
	if inside == 0 {
		inside = float32(l.Negative)
	}
	return subjectPlane{in: in, inside: inside, outside: float32(l.Negative), cols: cols}, nil
}

func checkPositions(pos []int) ([]int, error) {
	if len(pos) == 0 {
		return nil, fmt.Errorf("no token positions (is the word in the prompt?)")
	}
	cols := slices.Clone(pos)
	slices.Sort(cols)
	for k, c := range cols {
		if c < 0 || c >= ContextLen {
			return nil, fmt.Errorf("token position %d outside 0..%d", c, ContextLen-1)
		}
		if k > 0 && cols[k-1] == c {
			return nil, fmt.Errorf("token position %d listed twice", c)
		}
	}
	return cols, nil
}

// region is the subject's pixel set at the image size.
func (s *Subject) region(h, w int) ([]bool, error) {
	if s.Mask != nil {
		if s.Mask.W != w || s.Mask.H != h {
			return nil, &SizeMismatchError{What: "mask", GotW: s.Mask.W, GotH: s.Mask.H, WantW: w, WantH: h}
		}
		return s.Mask.In, nil
	}
	in := make([]bool, h*w)
	any := false
	for _, b := range s.Boxes {
		any = b.fill(in, h, w) || any
	}
	if !any {
		return nil, fmt.Errorf("%w: the boxes cover no pixel centre at %dx%d", ErrEmptyRegion, w, h)
	}
	return in, nil
}

// Orig returns the full official map CA_WEIGHT_ORIG, [H, W, ContextLen] row-major: each
// subject's columns hold its weight inside its region and the negative weight elsewhere, summed
// over subjects in order in float32; columns of no subject are 0.
func (wt *Weights) Orig() []float32 {
	out := make([]float32, wt.H*wt.W*ContextLen)
	for si := range wt.subjects {
		s := &wt.subjects[si]
		for p := range wt.H * wt.W {
			v := s.value(p)
			row := out[p*ContextLen : (p+1)*ContextLen]
			for _, c := range s.cols {
				row[c] += v
			}
		}
	}
	return out
}

// Columns lists the token columns that are not zero everywhere, ascending.
func (wt *Weights) Columns() []int { return slices.Clone(wt.columns) }

// columnPlanes returns Orig[:, :, c] as an H*W plane for every column c that is not zero,
// summed in subject order like Orig.
func (wt *Weights) columnPlanes() map[int][]float32 {
	out := make(map[int][]float32, len(wt.columns))
	for _, c := range wt.columns {
		out[c] = make([]float32, wt.H*wt.W)
	}
	for si := range wt.subjects {
		s := &wt.subjects[si]
		for _, c := range s.cols {
			plane := out[c]
			for p := range plane {
				plane[p] += s.value(p)
			}
		}
	}
	return out
}
