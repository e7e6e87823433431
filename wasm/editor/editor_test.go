package editor

import (
	"strings"
	"testing"
)

func mustNew(t *testing.T, w, h int) *Editor {
	t.Helper()
	e, err := New(w, h)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// px converts a point in output pixels of e to relative coordinates.
func px(e *Editor, x, y float64) Point {
	return Point{x / float64(e.width), y / float64(e.height)}
}

func pixels(e *Editor, id int) [4]int {
	for _, b := range e.Boxes() {
		if b.ID == id {
			x, y, w, h := e.Pixels(b)
			return [4]int{x, y, w, h}
		}
	}
	return [4]int{-1, -1, -1, -1}
}

var tol = Point{0.02, 0.02} // about 10 px at 512

func TestNewRejectsBadSizes(t *testing.T) {
	for _, s := range [][2]int{{0, 512}, {512, 4}, {9000, 512}, {-1, -1}} {
		if _, err := New(s[0], s[1]); err == nil {
			t.Errorf("New(%d, %d): no error", s[0], s[1])
		}
	}
}

func TestDrawBox(t *testing.T) {
	tests := []struct {
		name     string
		from, to [2]float64
		want     [4]int
	}{
		{"down-right", [2]float64{100, 50}, [2]float64{300, 250}, [4]int{100, 50, 200, 200}},
		{"up-left normalises", [2]float64{300, 250}, [2]float64{100, 50}, [4]int{100, 50, 200, 200}},
		{"past the border clamps", [2]float64{400, 400}, [2]float64{900, -80}, [4]int{400, 0, 112, 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, 512, 512)
			e.SetNewWord("dog")
			if h := e.PointerDown(px(e, tt.from[0], tt.from[1]), tol); h != None {
				t.Fatalf("grabbed %v on an empty canvas", h)
			}
			e.PointerMove(px(e, (tt.from[0]+tt.to[0])/2, (tt.from[1]+tt.to[1])/2))
			e.PointerUp(px(e, tt.to[0], tt.to[1]))
			if e.Len() != 1 {
				t.Fatalf("%d boxes", e.Len())
			}
			b, ok := e.Selected()
			if !ok || b.Word != "dog" || b.Strength != DefaultStrength {
				t.Fatalf("selected %+v %v", b, ok)
			}
			if got := pixels(e, b.ID); got != tt.want {
				t.Errorf("box %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClickOnEmptyCanvasDrawsNothingAndDeselects(t *testing.T) {
	e := mustNew(t, 512, 512)
	e.Add(Rect{0, 0, 0.25, 0.25}, "dog", 2.5)
	e.PointerDown(px(e, 400, 400), tol)
	e.PointerMove(px(e, 403, 420)) // only 3 px across: too thin to be a box
	e.PointerUp(px(e, 403, 420))
	if e.Len() != 1 {
		t.Fatalf("%d boxes after a click", e.Len())
	}
	if _, ok := e.Selected(); ok {
		t.Error("selection kept after clicking empty canvas")
	}
}

func TestHitTest(t *testing.T) {
	e := mustNew(t, 512, 512)
	a := e.Add(Rect{0.1, 0.1, 0.5, 0.5}, "dog", 2.5)
	b := e.Add(Rect{0.4, 0.4, 0.9, 0.9}, "mug", 2.5) // on top, selected
	tests := []struct {
		name string
		p    Point
		id   int
		h    Handle
	}{
		{"selected body", Point{0.7, 0.7}, b, Body},
		{"selected corner nw", Point{0.4, 0.4}, b, NW},
		{"selected corner se just outside", Point{0.91, 0.91}, b, SE},
		{"selected edge e", Point{0.9, 0.6}, b, E},
		{"selected edge n", Point{0.6, 0.395}, b, N},
		{"other box body", Point{0.2, 0.2}, a, Body},
		{"other box edge grabs body", Point{0.1, 0.3}, a, Body},
		{"empty", Point{0.05, 0.95}, 0, None},
		{"near unselected box but outside", Point{0.095, 0.3}, 0, None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, h := e.HitTest(tt.p, tol)
			if id != tt.id || h != tt.h {
				t.Errorf("HitTest(%v) = %d,%v want %d,%v", tt.p, id, h, tt.id, tt.h)
			}
		})
	}
}

func TestSmallBoxKeepsAGrabbableBody(t *testing.T) {
	e := mustNew(t, 512, 512)
	id := e.Add(Rect{0.5, 0.5, 0.53, 0.53}, "dog", 2.5) // ~15 px, smaller than twice the tolerance
	if got, h := e.HitTest(Point{0.515, 0.515}, tol); got != id || h != Body {
		t.Errorf("centre of a small box: %d %v", got, h)
	}
}

func TestMoveClampsAtBorder(t *testing.T) {
	e := mustNew(t, 512, 256)
	id := e.Add(Rect{0.25, 0.25, 0.5, 0.5}, "dog", 2.5) // 128,64 128x64
	e.PointerDown(px(e, 150, 100), tol)
	e.PointerMove(px(e, 150-500, 100+500))
	if got, want := pixels(e, id), [4]int{0, 192, 128, 64}; got != want {
		t.Errorf("after moving far: %v want %v", got, want)
	}
	e.PointerUp(px(e, 160, 90)) // back into the image: follows again
	if got, want := pixels(e, id), [4]int{138, 54, 128, 64}; got != want {
		t.Errorf("after moving back: %v want %v", got, want)
	}
}

func TestResizeClampsToBorderAndMinimum(t *testing.T) {
	tests := []struct {
		name   string
		grab   [2]float64
		to     [2]float64
		want   [4]int
		handle Handle
	}{
		{"se grows to border", [2]float64{300, 300}, [2]float64{600, 700}, [4]int{100, 100, 412, 412}, SE},
		{"nw past opposite corner stops at minimum", [2]float64{100, 100}, [2]float64{450, 450}, [4]int{292, 292, 8, 8}, NW},
		{"e edge only changes width", [2]float64{300, 200}, [2]float64{350, 10}, [4]int{100, 100, 250, 200}, E},
		{"n edge to top border", [2]float64{200, 100}, [2]float64{200, -40}, [4]int{100, 0, 200, 300}, N},
		{"w edge past right stops at minimum", [2]float64{100, 200}, [2]float64{500, 200}, [4]int{292, 100, 8, 200}, W},
		{"sw corner", [2]float64{100, 300}, [2]float64{50, 350}, [4]int{50, 100, 250, 250}, SW},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, 512, 512)
			id := e.Add(Rect{100.0 / 512, 100.0 / 512, 300.0 / 512, 300.0 / 512}, "dog", 2.5)
			if h := e.PointerDown(px(e, tt.grab[0], tt.grab[1]), tol); h != tt.handle {
				t.Fatalf("grabbed %v, want %v", h, tt.handle)
			}
			e.PointerUp(px(e, tt.to[0], tt.to[1]))
			if got := pixels(e, id); got != tt.want {
				t.Errorf("got %v want %v", got, tt.want)
			}
		})
	}
}

func TestPointerCancelRestores(t *testing.T) {
	e := mustNew(t, 512, 512)
	id := e.Add(Rect{0.25, 0.25, 0.5, 0.5}, "dog", 2.5)
	before := pixels(e, id)
	e.PointerDown(px(e, 200, 200), tol)
	e.PointerMove(px(e, 300, 300))
	e.PointerCancel()
	if got := pixels(e, id); got != before {
		t.Errorf("moved box not restored: %v want %v", got, before)
	}
	e.PointerDown(px(e, 400, 400), tol)
	e.PointerMove(px(e, 480, 480))
	if e.Len() != 2 {
		t.Fatalf("drawing did not add a box")
	}
	if !e.Key("Escape", false, false) || e.Len() != 1 || e.Dragging() {
		t.Errorf("Escape during drawing: %d boxes, dragging %v", e.Len(), e.Dragging())
	}
}

func TestKeyboard(t *testing.T) {
	e := mustNew(t, 512, 512)
	a := e.Add(Rect{0, 0, 0.25, 0.25}, "dog", 2.5) // 0,0 128x128
	b := e.Add(Rect{0.5, 0.5, 0.75, 0.75}, "mug", 2.5)
	steps := []struct {
		key        string
		shift, alt bool
		handled    bool
		selected   int
		box        [4]int // of the selected box after the key
	}{
		{"ArrowRight", false, false, true, b, [4]int{264, 256, 128, 128}},
		{"ArrowUp", false, true, true, b, [4]int{264, 255, 128, 128}},
		{"ArrowDown", true, false, true, b, [4]int{264, 255, 128, 136}},
		{"ArrowLeft", true, true, true, b, [4]int{264, 255, 127, 136}},
		{"[", false, false, true, a, [4]int{0, 0, 128, 128}},
		{"ArrowLeft", false, false, true, a, [4]int{0, 0, 128, 128}}, // clamped at the border
		{"ArrowUp", true, false, true, a, [4]int{0, 0, 128, 120}},    // shrink height
		{"]", false, false, true, b, [4]int{264, 255, 127, 136}},     // wraps forward
		{"]", false, false, true, a, [4]int{0, 0, 128, 120}},         // and around
		{"Tab", false, false, false, a, [4]int{0, 0, 128, 120}},      // not ours: focus moves on
		{"x", false, false, false, a, [4]int{0, 0, 128, 120}},
	}
	for i, s := range steps {
		if got := e.Key(s.key, s.shift, s.alt); got != s.handled {
			t.Fatalf("step %d %q: handled %v", i, s.key, got)
		}
		sel, ok := e.Selected()
		if !ok || sel.ID != s.selected {
			t.Fatalf("step %d %q: selected %d, want %d", i, s.key, sel.ID, s.selected)
		}
		if got := pixels(e, sel.ID); got != s.box {
			t.Fatalf("step %d %q: box %v want %v", i, s.key, got, s.box)
		}
	}
}

func TestKeyboardShrinkStopsAtMinimumAndGrowAtBorder(t *testing.T) {
	e := mustNew(t, 64, 64)
	id := e.Add(Rect{0.5, 0.5, 0.75, 0.75}, "dog", 2.5) // 32,32 16x16
	for range 5 {
		e.Key("ArrowLeft", true, false)
	}
	if got := pixels(e, id); got != [4]int{32, 32, 8, 16} {
		t.Errorf("after shrinking: %v", got)
	}
	for range 10 {
		e.Key("ArrowDown", true, false)
	}
	if got := pixels(e, id); got != [4]int{32, 32, 8, 32} {
		t.Errorf("after growing: %v", got)
	}
}

func TestKeyboardAddDeleteEscape(t *testing.T) {
	e := mustNew(t, 512, 512)
	e.SetNewWord("cat")
	if e.Key("ArrowLeft", false, false) {
		t.Error("arrow with no boxes claimed handled")
	}
	if !e.Key("Insert", false, false) || e.Len() != 1 {
		t.Fatal("Insert did not add a box")
	}
	b, _ := e.Selected()
	if b.Word != "cat" || pixels(e, b.ID) != [4]int{171, 171, 170, 170} {
		t.Errorf("added %+v at %v", b, pixels(e, b.ID))
	}
	if !e.Key("Escape", false, false) {
		t.Error("Escape with a selection not handled")
	}
	if e.Key("Escape", false, false) || e.Key("Delete", false, false) {
		t.Error("Escape/Delete with nothing selected claimed handled")
	}
	e.Key("ArrowDown", false, false) // selects the first box
	if !e.Key("Delete", false, false) || e.Len() != 0 {
		t.Error("Delete did not remove the selected box")
	}
}

func TestRemoveMovesSelectionDown(t *testing.T) {
	e := mustNew(t, 512, 512)
	a := e.Add(Rect{0, 0, 0.1, 0.1}, "a", 2.5)
	b := e.Add(Rect{0, 0, 0.2, 0.2}, "b", 2.5)
	c := e.Add(Rect{0, 0, 0.3, 0.3}, "c", 2.5)
	e.Select(b)
	e.Remove(b)
	if s, _ := e.Selected(); s.ID != a {
		t.Errorf("selected %d after removing b, want a=%d", s.ID, a)
	}
	e.Remove(a)
	if s, _ := e.Selected(); s.ID != c {
		t.Errorf("selected %d after removing a, want c=%d", s.ID, c)
	}
	if e.Remove(a) {
		t.Error("removed a box twice")
	}
}

func TestSetSizeKeepsRelativePlaceAndMinimum(t *testing.T) {
	e := mustNew(t, 512, 512)
	big := e.Add(Rect{0.25, 0.5, 0.75, 1}, "dog", 2.5)
	small := e.Add(Rect{0, 0, 16.0 / 512, 16.0 / 512}, "mug", 2.5)
	if err := e.SetSize(256, 128); err != nil {
		t.Fatal(err)
	}
	if got := pixels(e, big); got != [4]int{64, 64, 128, 64} {
		t.Errorf("big box %v", got)
	}
	if got := pixels(e, small); got != [4]int{0, 0, 8, 8} {
		t.Errorf("small box not grown to the minimum: %v", got)
	}
	if err := e.SetSize(2, 2); err == nil {
		t.Error("tiny size accepted")
	}
}

func TestAddClampsAndOrders(t *testing.T) {
	e := mustNew(t, 100, 100)
	id := e.Add(Rect{1.2, 0.5, 0.9, -3}, "dog", 2.5)
	if got := pixels(e, id); got != [4]int{90, 0, 10, 50} {
		t.Errorf("got %v", got)
	}
	id = e.Add(Rect{0.99, 0.99, 1, 1}, "dog", 2.5)
	if got := pixels(e, id); got != [4]int{92, 92, 8, 8} {
		t.Errorf("sliver at the corner: %v", got)
	}
}

func TestStrengthAndWords(t *testing.T) {
	e := mustNew(t, 512, 512)
	id := e.Add(Rect{0, 0, 0.5, 0.5}, "dog", 2.5)
	e.Add(Rect{0, 0, 0.5, 0.5}, "mug", 2.5)
	e.Add(Rect{0, 0, 0.5, 0.5}, "dog", 2.5)
	for _, s := range []float64{0, -1, 11} {
		if err := e.SetStrength(id, s); err == nil || !strings.Contains(err.Error(), "strength") {
			t.Errorf("strength %v: err %v", s, err)
		}
	}
	if err := e.SetStrength(id, 4); err != nil {
		t.Error(err)
	}
	e.RenameWord("dog", "rex")
	if got := strings.Join(e.Words(), ","); got != "rex,mug" {
		t.Errorf("words %q", got)
	}
	b := e.Boxes()[0]
	if b.Strength != 4 || !strings.Contains(e.Describe(b), "rex: x 0, y 0, 256×256 px, strength 4") {
		t.Errorf("describe %q", e.Describe(b))
	}
}

func TestHandleCursors(t *testing.T) {
	seen := map[string]bool{}
	for h := None; h <= NW; h++ {
		seen[h.Cursor()] = true
	}
	if len(seen) != 6 {
		t.Errorf("cursors %v", seen)
	}
	if Colour(0) == Colour(1) || Colour(-3) != Colour(3) {
		t.Error("palette")
	}
}
