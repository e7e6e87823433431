package layout

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func boxSubject(word string, w float64, boxes ...Box) Subject {
	return Subject{Word: word, Weight: w, Boxes: boxes}
}

func TestValidateErrors(t *testing.T) {
	ok := boxSubject("dog", 2.5, Box{0.1, 0.1, 0.5, 0.5})
	cases := []struct {
		name   string
		l      Layout
		want   string // substring of the message
		target error  // errors.Is target, optional
	}{
		{"box x outside", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{-0.1, 0, 0.5, 0.5})}},
			`subject 0 "dog": box 0: x0 = -0.1 is outside the image`, nil},
		{"box y outside", Layout{Negative: -1e8, Subjects: []Subject{ok, boxSubject("cat", 2.5, Box{0, 0, 0.5, 0.2}, Box{0, 0.5, 0.5, 1.5})}},
			`subject 1 "cat": box 1: y1 = 1.5 is outside`, nil},
		{"inverted box", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{0.6, 0, 0.5, 0.5})}},
			`box 0: empty or inverted box: x1 = 0.5 is not right of x0 = 0.6`, ErrEmptyBox},
		{"empty box", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{0.1, 0.3, 0.5, 0.3})}},
			`y1 = 0.3 is not below y0 = 0.3`, ErrEmptyBox},
		{"nan coordinate", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{math.NaN(), 0, 0.5, 0.5})}},
			`x0 is NaN, not a finite number`, nil},
		{"nan weight", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", math.NaN(), Box{0, 0, 1, 1})}},
			`subject 0 "dog": weight: NaN is not a finite number`, nil},
		{"inf weight", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", math.Inf(1), Box{0, 0, 1, 1})}},
			`weight: +Inf is not a finite number`, nil},
		{"huge weight", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 1e31, Box{0, 0, 1, 1})}},
			`weight: |1e+31| exceeds 1e+30`, nil},
		{"inf negative", Layout{Negative: math.Inf(-1), Subjects: []Subject{ok}},
			`negative weight: -Inf is not a finite number`, nil},
		{"empty word", Layout{Negative: -1e8, Subjects: []Subject{boxSubject("", 2.5, Box{0, 0, 1, 1})}},
			`subject 0 "": empty word`, nil},
		{"no region", Layout{Negative: -1e8, Subjects: []Subject{{Word: "dog", Weight: 2.5}}},
			`no box and no mask`, ErrEmptyRegion},
		{"empty mask", Layout{Negative: -1e8, Subjects: []Subject{{Word: "dog", Weight: 2.5, Mask: &Mask{W: 2, H: 1, In: []bool{false, false}}}}},
			`mask has no pixel set`, ErrEmptyRegion},
		{"short mask", Layout{Negative: -1e8, Subjects: []Subject{{Word: "dog", Weight: 2.5, Mask: &Mask{W: 2, H: 2, In: []bool{true}}}}},
			`mask 2x2 holds 1 pixels`, nil},
		{"mask and boxes", Layout{Negative: -1e8, Subjects: []Subject{{Word: "dog", Weight: 2.5, Boxes: []Box{{0, 0, 1, 1}}, Mask: &Mask{W: 1, H: 1, In: []bool{true}}}}},
			`has both boxes and a mask`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.l.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			var se *SubjectError
			if !strings.HasPrefix(c.name, "inf negative") && !errors.As(err, &se) {
				t.Fatalf("error %q is not a *SubjectError", err)
			}
			if c.target != nil && !errors.Is(err, c.target) {
				t.Fatalf("error %q is not %v", err, c.target)
			}
		})
	}
	if err := (&Layout{Negative: -1e8, Subjects: []Subject{ok}}).Validate(); err != nil {
		t.Fatalf("valid layout refused: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	l := &Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{0.1, 0.1, 0.5, 0.5})}}
	cases := []struct {
		name string
		h, w int
		pos  [][]int
		want string
	}{
		{"no positions", 8, 8, [][]int{{}}, `subject 0 "dog": no token positions`},
		{"position too large", 8, 8, [][]int{{77}}, `token position 77 outside 0..76`},
		{"negative position", 8, 8, [][]int{{-1}}, `token position -1 outside`},
		{"duplicate position", 8, 8, [][]int{{3, 3}}, `token position 3 listed twice`},
		{"missing list", 8, 8, nil, `0 position lists for 1 subjects`},
		{"zero size", 0, 8, [][]int{{2}}, `image size 8x0 outside`},
		{"huge size", 8, MaxImageSide + 1, [][]int{{2}}, `outside 1..2048`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := l.Build(c.h, c.w, c.pos)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	many := &Layout{Negative: -1e8}
	var posMany [][]int
	for i := range 20 {
		many.Subjects = append(many.Subjects, boxSubject("w", 1, Box{0, 0, 1, 1}))
		posMany = append(posMany, []int{i + 1})
	}
	if _, err := many.Build(2048, 2048, posMany); err == nil || !strings.Contains(err.Error(), "20 regions of 2048x2048 pixels exceed the budget") {
		t.Errorf("region budget: %v", err)
	}
	tiny := &Layout{Negative: -1e8, Subjects: []Subject{boxSubject("dog", 2.5, Box{0.3, 0.3, 0.45, 0.45})}}
	if _, err := tiny.Build(2, 2, [][]int{{2}}); !errors.Is(err, ErrEmptyRegion) ||
		!strings.Contains(err.Error(), "the boxes cover no pixel centre at 2x2") {
		t.Errorf("box between pixel centres: %v", err)
	}
	m := &Layout{Negative: -1e8, Subjects: []Subject{{Word: "mug", Weight: 2.5, Mask: &Mask{W: 2, H: 1, In: []bool{true, false}}}}}
	_, err := m.Build(2, 2, [][]int{{2}})
	var sm *SizeMismatchError
	if !errors.As(err, &sm) || sm.GotW != 2 || sm.GotH != 1 || sm.WantH != 2 {
		t.Fatalf("mask size mismatch: %v", err)
	}
	if !strings.Contains(err.Error(), `subject 0 "mug": mask is 2x1 but the image is 2x2`) {
		t.Fatalf("message %q", err)
	}
}

// at reads Orig at pixel (y, x), token c.
func at(o []float32, w, y, x, c int) float32 { return o[(y*w+x)*ContextLen+c] }

func TestBuildSemantics(t *testing.T) {
	// 4x4 image. "dog" left half, "cat" top half: they overlap in the top-left quarter.
	// "hat" shares the dog's token 2 and has weight 0.
	l := &Layout{Negative: -100, Subjects: []Subject{
		boxSubject("dog", 2.5, Box{0, 0, 0.5, 1}),
		boxSubject("cat", 1, Box{0, 0, 1, 0.5}),
		boxSubject("hat", 0, Box{0.5, 0.5, 1, 1}),
	}}
	wt, err := l.Build(4, 4, [][]int{{2, 6}, {4}, {2}})
	if err != nil {
		t.Fatal(err)
	}
	o := wt.Orig()
	check := func(y, x, c int, want float32) {
		t.Helper()
		if got := at(o, 4, y, x, c); got != want {
			t.Errorf("pixel (%d,%d) token %d: got %g, want %g", y, x, c, got, want)
		}
	}
	// Overlap: both subjects keep their own weight in their own columns.
	check(0, 0, 6, 2.5)
	check(0, 0, 4, 1)
	// Token 2 sums dog (2.5 inside / -100 outside) and hat (weight 0 => -100 everywhere).
	check(0, 0, 2, 2.5-100)
	check(3, 3, 2, -100-100)
	// The cat's column outside the top half, the dog's outside the left half.
	check(3, 0, 4, -100)
	check(0, 3, 6, -100)
	// Other tokens are zero.
	for _, c := range []int{0, 1, 3, 5, 7, 76} {
		check(1, 1, c, 0)
	}
	if got := wt.Columns(); len(got) != 3 || got[0] != 2 || got[1] != 4 || got[2] != 6 {
		t.Errorf("columns %v", got)
	}
}

func TestBoxRasterisation(t *testing.T) {
	// Pixel x belongs to [x0, x1) when its centre (x+0.5)/W does: on 8 pixels the centres are
	// 0.0625, 0.1875, 0.3125, 0.4375, ...
	cases := []struct {
		x0, x1 float64
		want   string
	}{
		{0.25, 0.5, "..##...."},
		{0.3, 0.45, "..##...."},
		{0.33, 0.45, "...#...."},
		{0, 1, "########"},
		{0.0625, 0.125, "#......."}, // the left edge is pixel 0's centre: included
		{0.0, 0.0625, "........"},   // the right edge is pixel 0's centre: excluded
		{0.9375, 1, ".......#"},
	}
	for _, c := range cases {
		in := make([]bool, 8)
		Box{X0: c.x0, Y0: 0, X1: c.x1, Y1: 1}.fill(in, 1, 8)
		var b strings.Builder
		for _, v := range in {
			if v {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		if b.String() != c.want {
			t.Errorf("[%g,%g): %s, want %s", c.x0, c.x1, b.String(), c.want)
		}
	}
}

func TestMaskResize(t *testing.T) {
	m := &Mask{W: 2, H: 2, In: []bool{true, false, false, true}}
	r, err := m.Resize(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, false, false, true, true, false, false, false, false, true, true, false, false, true, true}
	for i := range want {
		if r.In[i] != want[i] {
			t.Fatalf("upscaled mask %v", r.In)
		}
	}
	back, err := r.Resize(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.In {
		if back.In[i] != m.In[i] {
			t.Fatalf("round trip %v", back.In)
		}
	}
	if _, err := m.Resize(0, 3); err == nil {
		t.Fatal("zero size accepted")
	}
	l := &Layout{Negative: -1, Subjects: []Subject{{Word: "a", Weight: 1, Mask: m}, boxSubject("b", 1, Box{0, 0, 1, 1})}}
	rl, err := l.ResizeMasks(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Subjects[0].Mask.W != 4 || l.Subjects[0].Mask.W != 2 || len(rl.Subjects[1].Boxes) != 1 {
		t.Fatal("ResizeMasks changed the wrong thing")
	}
}
