package editor

import (
	"errors"
	"os"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/internal/fixture"
)

func TestLayoutGroupsBoxesByWord(t *testing.T) {
	e := mustNew(t, 512, 512)
	a := e.Add(Rect{0, 0, 0.5, 0.5}, "dog", 3)
	e.Add(Rect{0.5, 0.5, 1, 1}, "mug", 2.5)
	b := e.Add(Rect{0.5, 0, 1, 0.5}, "", 2.5)
	if _, err := e.Layout(layout.DefaultNegative); !errors.Is(err, ErrNoWord) {
		t.Fatalf("unbound box: err %v", err)
	}
	e.SetWord(b, "dog") // takes dog's strength
	l, err := e.Layout(layout.DefaultNegative)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Subjects) != 2 || l.Subjects[0].Word != "dog" || len(l.Subjects[0].Boxes) != 2 ||
		l.Subjects[0].Weight != 3 || l.Subjects[1].Word != "mug" || l.Negative != layout.DefaultNegative {
		t.Fatalf("layout %+v", l)
	}
	if err := e.SetStrength(a, 4); err != nil {
		t.Fatal(err)
	}
	for _, bx := range e.Boxes() {
		if bx.Word == "dog" && bx.Strength != 4 {
			t.Errorf("dog box %d kept strength %v", bx.ID, bx.Strength)
		}
		if bx.Word == "mug" && bx.Strength != 2.5 {
			t.Errorf("mug box changed to %v", bx.Strength)
		}
	}
	// Back and forth through the layout keeps the boxes.
	f := mustNew(t, 512, 512)
	if err := f.SetLayout(l); err != nil {
		t.Fatal(err)
	}
	if f.Len() != 3 {
		t.Fatalf("%d boxes after SetLayout", f.Len())
	}
	l2, err := f.Layout(layout.DefaultNegative)
	if err != nil || len(l2.Subjects) != 2 || len(l2.Subjects[0].Boxes) != 2 || l2.Subjects[0].Boxes[1] != l.Subjects[0].Boxes[1] {
		t.Errorf("round trip %+v %v", l2, err)
	}
}

// The official colour layout of the fixtures (cases.layout_sampling's colours and PNG) comes in
// as fixed mask regions and goes out as the same masks, so guidance from an imported layout is
// the official one.
func TestOfficialLayoutMasksSurviveTheEditor(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			l := fixtureLayout(t, v)
			e := mustNew(t, 128, 128)
			if err := e.SetLayout(l); err != nil {
				t.Fatal(err)
			}
			if e.Len() != len(l.Subjects) {
				t.Fatalf("%d regions for %d colours", e.Len(), len(l.Subjects))
			}
			first := e.Boxes()[0]
			if first.Mask == nil || first.Rect.W() <= 0 || first.Rect.W() > 1 {
				t.Fatalf("%s region %+v", first.Word, first.Rect)
			}
			// Masks do not move, by pointer or keys.
			e.Select(first.ID)
			centre := Point{(first.X0 + first.X1) / 2, (first.Y0 + first.Y1) / 2}
			if h := e.PointerDown(centre, tol); h != Body {
				t.Fatalf("grab mask: %v", h)
			}
			e.PointerUp(Point{centre.X + 0.2, centre.Y + 0.2})
			e.Key("ArrowRight", false, false)
			if got := e.Boxes()[0].Rect; got != first.Rect {
				t.Errorf("mask region moved: %v -> %v", first.Rect, got)
			}
			out, err := e.Layout(layout.DefaultNegative)
			if err != nil {
				t.Fatal(err)
			}
			for i := range l.Subjects {
				a, b := l.Subjects[i], out.Subjects[i]
				if a.Word != b.Word || b.Mask == nil || !equalBools(a.Mask.In, b.Mask.In) {
					t.Errorf("subject %d changed through the editor", i)
				}
			}
			paintIntoMask(t, e, l)
		})
	}
}

// fixtureLayout imports a fixture folder's colour layout the official way.
func fixtureLayout(t *testing.T, v fixture.Variant) *layout.Layout {
	t.Helper()
	ls := v.Layout(t)
	png, err := os.ReadFile(v.Path(ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	var o layout.Official
	for _, c := range ls.Colors {
		o.Colors = append(o.Colors, layout.ColorSubject{Key: c.Key, Color: c.RGB, Word: c.Word, Weight: c.Weight})
	}
	o.WeightNegative = layout.DefaultNegative
	l, err := o.Layout(png)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// paintIntoMask: a box drawn in the top-left quarter for a mask subject's word joins its mask.
// The subject is one whose mask holds neither the top-left pixel nor the left pixel three
// quarters down, so the painting and what it must leave alone both show.
func paintIntoMask(t *testing.T, e *Editor, l *layout.Layout) {
	t.Helper()
	k := -1
	for i, s := range l.Subjects {
		if m := s.Mask; m != nil && !m.In[0] && !m.In[m.W*m.H/4*3] {
			k = i
			break
		}
	}
	if k < 0 {
		t.Skip("no colour of the layout leaves the top-left pixel and the left pixel three quarters down free")
	}
	e.Add(Rect{0, 0, 0.25, 0.25}, l.Subjects[k].Word, l.Subjects[k].Weight)
	out, err := e.Layout(layout.DefaultNegative)
	if err != nil {
		t.Fatal(err)
	}
	m := out.Subjects[k].Mask
	if m == nil || len(out.Subjects[k].Boxes) != 0 || !m.In[0] || m.In[m.W*m.H/4*3] {
		t.Errorf("box not painted into the %s mask", l.Subjects[k].Word)
	}
	if l.Subjects[k].Mask.In[0] {
		t.Errorf("painting changed the imported layout's mask")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
