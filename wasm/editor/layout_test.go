package editor

import (
	"errors"
	"os"
	"path/filepath"
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

// The official colour layout of the fixtures comes in as fixed mask regions and goes out as the
// same masks, so guidance from an imported layout is the official one.
func TestOfficialLayoutMasksSurviveTheEditor(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			png, err := os.ReadFile(filepath.Join(v.ExpectedDir(), "layout.png"))
			if err != nil {
				t.Fatal(err)
			}
			o := layout.Official{Colors: []layout.ColorSubject{
				{Key: "255,192,0", Color: [3]uint8{255, 192, 0}, Word: "mug", Weight: 2.5},
				{Key: "255,0,0", Color: [3]uint8{255, 0, 0}, Word: "dog", Weight: 2.5},
			}}
			o.WeightNegative = layout.DefaultNegative
			l, err := o.Layout(png)
			if err != nil {
				t.Fatal(err)
			}
			e := mustNew(t, 128, 128)
			if err := e.SetLayout(l); err != nil {
				t.Fatal(err)
			}
			if e.Len() != 2 {
				t.Fatalf("%d regions", e.Len())
			}
			mug := e.Boxes()[0]
			if mug.Mask == nil || mug.Rect.W() <= 0 || mug.Rect.W() > 1 {
				t.Fatalf("mug region %+v", mug.Rect)
			}
			// Masks do not move, by pointer or keys.
			e.Select(mug.ID)
			centre := Point{(mug.X0 + mug.X1) / 2, (mug.Y0 + mug.Y1) / 2}
			if h := e.PointerDown(centre, tol); h != Body {
				t.Fatalf("grab mask: %v", h)
			}
			e.PointerUp(Point{centre.X + 0.2, centre.Y + 0.2})
			e.Key("ArrowRight", false, false)
			if got := e.Boxes()[0].Rect; got != mug.Rect {
				t.Errorf("mask region moved: %v -> %v", mug.Rect, got)
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
			// A box drawn for dog joins dog's mask.
			e.Add(Rect{0, 0, 0.25, 0.25}, "dog", 2.5)
			out, err = e.Layout(layout.DefaultNegative)
			if err != nil {
				t.Fatal(err)
			}
			dog := out.Subjects[1].Mask
			if dog == nil || len(out.Subjects[1].Boxes) != 0 || !dog.In[0] || dog.In[dog.W*dog.H/4*3] {
				t.Errorf("box not painted into the dog mask")
			}
			if l.Subjects[1].Mask.In[0] {
				t.Errorf("painting changed the imported layout's mask")
			}
		})
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
