package eval

import (
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/server/shapes"
)

func TestSuiteItems(t *testing.T) {
	s := DefaultSuite()
	items := s.Items()
	count := map[string]int{}
	seeds := map[string]map[uint64]bool{}
	for _, it := range items {
		count[it.Section]++
		for _, sub := range it.Subjects {
			if !strings.Contains(it.Prompt, sub.Phrase) {
				t.Errorf("%q does not contain its subject %q", it.Prompt, sub.Phrase)
			}
			if c := shapes.Palette()[sub.Colour].Name; it.Section != SectionCustom1 && it.Section != SectionCustom2 && !strings.Contains(sub.Phrase, c) {
				t.Errorf("%q: subject %q does not name its colour %s", it.Prompt, sub.Phrase, c)
			}
		}
		key := it.Section + it.Mode.String()
		if seeds[key] == nil {
			seeds[key] = map[uint64]bool{}
		}
		if seeds[key][it.Seed] && it.Section != SectionText {
			t.Errorf("%s: seed %d used twice", key, it.Seed)
		}
		seeds[key][it.Seed] = true
	}
	want := map[string]int{
		SectionText:      len(shapes.Colours()) * len(shapes.Kinds()) * s.Seeds,
		SectionLayout2:   4 * s.LayoutPrompts,
		SectionLayout3:   4 * s.LayoutPrompts,
		SectionConfusion: 2 * s.ConfusionPairs,
	}
	for sec, n := range want {
		if count[sec] != n {
			t.Errorf("%s: %d items, want %d", sec, count[sec], n)
		}
	}
	// The same suite lists the same items.
	again := s.Items()
	for i := range items {
		if items[i].Prompt != again[i].Prompt || items[i].Seed != again[i].Seed {
			t.Fatalf("item %d differs between two listings", i)
		}
	}
}

func TestConfusionPairsShareAKind(t *testing.T) {
	for _, subs := range DefaultSuite().confusionPairs() {
		if len(subs) != 2 || subs[0].Kind != subs[1].Kind || subs[0].Colour == subs[1].Colour {
			t.Errorf("pair %+v is not one kind in two colours", subs)
		}
	}
}

func TestModeLayouts(t *testing.T) {
	subs := []Subject{{Phrase: "red circle", Box: Box{0, 0, 0.5, 0.5}}, {Phrase: "blue square", Box: Box{0.5, 0.5, 1, 1}}}
	if Off.Layout(subs) != nil {
		t.Error("off has a layout")
	}
	for _, c := range []struct {
		m              Mode
		weight, negate float64
	}{{Full, layout.DefaultWeight, layout.DefaultNegative}, {Strengthen, layout.DefaultWeight, 0}, {Weaken, weakenOnlyWeight, layout.DefaultNegative}} {
		l := c.m.Layout(subs)
		if err := l.Validate(); err != nil {
			t.Fatalf("%s: %v", c.m, err)
		}
		if l.Negative != c.negate || l.Subjects[0].Weight != c.weight || l.Subjects[1].Word != "blue square" {
			t.Errorf("%s: layout %+v", c.m, l)
		}
	}
}

func TestCustomItemsAndImages(t *testing.T) {
	s := DefaultSuite()
	subs := len(CustomSubjects())
	for _, method := range CustomMethods() {
		items := s.CustomItems(method)
		want := subs * s.CustomSeeds
		if combines(method) {
			want += 2 * s.CustomLayouts
		}
		if len(items) != want {
			t.Errorf("%s: %d customisation items, want %d", method, len(items), want)
		}
		for _, it := range items {
			words := map[string]bool{}
			for _, sub := range it.Subjects {
				if strings.Contains(it.Prompt, shapes.Palette()[sub.Colour].Name) {
					t.Errorf("prompt %q names the colour", it.Prompt)
				}
				if words[sub.Phrase] {
					t.Errorf("prompt %q: two subjects share the word %q", it.Prompt, sub.Phrase)
				}
				words[sub.Phrase] = true
				if !strings.Contains(it.Prompt, sub.Phrase) {
					t.Errorf("prompt %q lacks %q", it.Prompt, sub.Phrase)
				}
			}
			if it.Section != SectionCustom1 && it.Mode != Full {
				t.Errorf("%q: together without full guidance", it.Prompt)
			}
		}
	}
	for _, c := range CustomSubjects() {
		pics, err := c.TrainingImages(5, 32, 1)
		if err != nil || len(pics) != 5 {
			t.Fatalf("%d images, %v", len(pics), err)
		}
		for i, p := range pics {
			l, err := Label(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := mostCovering(l); got != c.Colour {
				t.Errorf("%s image %d shows colour %d", c, i, got)
			}
		}
	}
}

// TestScoreOutcomes scores hand-made pictures of each confusion outcome.
func TestScoreOutcomes(t *testing.T) {
	a := Subject{Phrase: "red square", Colour: shapes.Red, Kind: shapes.Square, Box: Box{0.05, 0.05, 0.45, 0.45}}
	b := Subject{Phrase: "blue square", Colour: shapes.Blue, Kind: shapes.Square, Box: Box{0.55, 0.55, 0.95, 0.95}}
	at := func(s Subject, colour int) shapes.Shape {
		return shapes.Shape{Kind: shapes.Square, Colour: colour, X0: s.Box[0], Y0: s.Box[1], Side: s.Box[2] - s.Box[0]}
	}
	it := Item{Section: SectionConfusion, Subjects: []Subject{a, b}, Mode: Full}
	for _, c := range []struct {
		name  string
		shown []shapes.Shape
		want  string
	}{
		{"correct", []shapes.Shape{at(a, shapes.Red), at(b, shapes.Blue)}, Correct},
		{"swapped", []shapes.Shape{at(a, shapes.Blue), at(b, shapes.Red)}, Swapped},
		{"leaked", []shapes.Shape{at(a, shapes.Red), at(b, shapes.Red)}, Leaked},
		{"missing", []shapes.Shape{at(a, shapes.Red)}, Missing},
	} {
		o, err := Score(it, picture(shapes.Scene{Shapes: c.shown}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if o.Confusion != c.want {
			t.Errorf("%s: scored %s", c.name, o.Confusion)
		}
		if c.want == Correct && (!o.AllPresent() || !o.KindRight[0] || !o.KindRight[1]) {
			t.Errorf("correct picture: present %v, kinds %v", o.Present, o.KindRight)
		}
	}
}

func TestGridAndNames(t *testing.T) {
	g := Generated{Outcome: Outcome{Item: Item{Mode: Full, Subjects: []Subject{{Box: Box{0, 0, 0.5, 0.5}}}}},
		Picture: Picture{W: 8, H: 8, RGB: make([]uint8, 3*64)}}
	img := Grid([]Generated{g, g, g}, 2, 2)
	if b := img.Bounds(); b.Dx() != 2*16+2 || b.Dy() != 2*16+2 {
		t.Errorf("grid %v", b)
	}
	if c := img.RGBAAt(0, 0); c.R != 255 {
		t.Errorf("box corner %v, want the white outline", c)
	}
	if got := fileName("layout, 2 subjects strengthen + weaken"); got != "layout-2-subjects-strengthen-weaken" {
		t.Errorf("file name %q", got)
	}
}
