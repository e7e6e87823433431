package eval

import (
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/server/shapes"
)

// Subject is what a picture should show: a phrase of the prompt, the colour and kind it names,
// and where (Whole() when the prompt places nothing).
type Subject struct {
	Phrase string
	Colour int
	Kind   shapes.Kind
	Box    Box
}

// Mode is how layout guidance edits cross-attention (the paper's ablation).
type Mode int

// Guidance modes.
const (
	Off        Mode = iota // no layout: plain cross-attention (self-recurrence still taken)
	Full                   // strengthen the subject inside its box and weaken it elsewhere
	Strengthen             // only strengthen inside the box
	Weaken                 // only weaken outside the box
)

// Modes lists the modes in report order.
func Modes() []Mode { return []Mode{Full, Strengthen, Weaken, Off} }

func (m Mode) String() string {
	return [...]string{"off", "strengthen + weaken", "strengthen only", "weaken only"}[m]
}

// weakenOnlyWeight stands for "no strengthening": cones/layout reads a weight of exactly 0 as
// "use the negative weight inside too", so the inside gets a weight too small to matter.
const weakenOnlyWeight = 1e-9

// Layout returns the layout of subjects in mode m (nil for Off).
func (m Mode) Layout(subjects []Subject) *layout.Layout {
	if m == Off {
		return nil
	}
	l := &layout.Layout{Negative: layout.DefaultNegative}
	weight := layout.DefaultWeight
	switch m {
	case Strengthen:
		l.Negative = 0
	case Weaken:
		weight = weakenOnlyWeight
	}
	for _, s := range subjects {
		b := s.Box
		l.Subjects = append(l.Subjects, layout.Subject{Word: s.Phrase, Weight: weight,
			Boxes: []layout.Box{{X0: b[0], Y0: b[1], X1: b[2], Y1: b[3]}}})
	}
	return l
}

// Item is one generation of the evaluation.
type Item struct {
	Section  string // which table it counts in
	Prompt   string
	Subjects []Subject
	Mode     Mode
	Seed     uint64
	Method   string // customisation method, "" elsewhere
}

// Suite sizes: how many prompts of each section and how many seeds per prompt. Every item is
// listed before anything is generated.
type Suite struct {
	Seeds           int    // seeds per single-shape prompt (15 prompts)
	LayoutPrompts   int    // two- and three-subject prompts each, every one in every mode
	ConfusionPairs  int    // same-kind, two-colour prompts, with and without guidance
	CustomSeeds     int    // seeds per custom subject alone, per method
	CustomLayouts   int    // layouts of two and of three custom subjects each, per method
	SceneSeed       uint64 // seed of the test scenes the layouts come from (not the training set's)
	FirstSampleSeed uint64 // generation seeds count up from here
}

// DefaultSuite is the suite of docs/evaluation.md.
func DefaultSuite() Suite {
	return Suite{Seeds: 4, LayoutPrompts: 16, ConfusionPairs: 16, CustomSeeds: 12, CustomLayouts: 12, SceneSeed: 1000, FirstSampleSeed: 100}
}

// Section names.
const (
	SectionText      = "text adherence"
	SectionLayout2   = "layout, 2 subjects"
	SectionLayout3   = "layout, 3 subjects"
	SectionConfusion = "attribute confusion"
	SectionCustom1   = "customisation, alone"
	SectionCustom2   = "customisation, two subjects"
	SectionCustom3   = "customisation, three subjects"
)

// Items lists the suite's generations except the customisation ones.
func (s Suite) Items() []Item {
	var out []Item
	seed := s.FirstSampleSeed
	next := func() uint64 { seed++; return seed }
	for _, c := range shapes.Colours() {
		for _, k := range shapes.Kinds() {
			sub := Subject{Phrase: shapes.Palette()[c].Name + " " + k.String(), Colour: c, Kind: k, Box: Whole()}
			for range s.Seeds {
				out = append(out, Item{Section: SectionText, Prompt: shapes.Caption([]string{sub.Phrase}), Subjects: []Subject{sub}, Seed: next()})
			}
		}
	}
	for _, n := range []int{2, 3} {
		section := map[int]string{2: SectionLayout2, 3: SectionLayout3}[n]
		for _, subs := range s.layoutScenes(n) {
			sd := next()
			for _, m := range Modes() {
				out = append(out, Item{Section: section, Prompt: prompt(subs), Subjects: subs, Mode: m, Seed: sd})
			}
		}
	}
	for _, subs := range s.confusionPairs() {
		sd := next()
		for _, m := range []Mode{Full, Off} {
			out = append(out, Item{Section: SectionConfusion, Prompt: prompt(subs), Subjects: subs, Mode: m, Seed: sd})
		}
	}
	return out
}

func prompt(subs []Subject) string {
	phrases := make([]string, len(subs))
	for i, s := range subs {
		phrases[i] = s.Phrase
	}
	return shapes.Caption(phrases)
}

// layoutScenes draws LayoutPrompts test scenes with n shapes, all of named and distinct colours
// (so that a colour identifies its subject), from the test scene set, and returns their subjects
// with their boxes.
func (s Suite) layoutScenes(n int) [][]Subject {
	set := shapes.NewSet(s.SceneSeed)
	var out [][]Subject
	for i := uint64(0); len(out) < s.LayoutPrompts; i++ {
		sc := set.Scene(i)
		if len(sc.Shapes) != n || !distinctNamed(sc.Shapes) {
			continue
		}
		var subs []Subject
		for _, sh := range sc.Shapes {
			subs = append(subs, Subject{Phrase: sh.Phrase(), Colour: sh.Colour, Kind: sh.Kind, Box: Box(sh.Box())})
		}
		out = append(out, subs)
	}
	return out
}

func distinctNamed(ss []shapes.Shape) bool {
	seen := map[int]bool{}
	for _, s := range ss {
		if s.Unnamed || seen[s.Colour] {
			return false
		}
		seen[s.Colour] = true
	}
	return true
}

// confusionPairs draws two-shape test scenes and turns each into two shapes of the same kind
// (the first shape's) in two different named colours, at the scene's places.
func (s Suite) confusionPairs() [][]Subject {
	set := shapes.NewSet(s.SceneSeed + 1)
	var out [][]Subject
	for i := uint64(0); len(out) < s.ConfusionPairs; i++ {
		sc := set.Scene(i)
		if len(sc.Shapes) != 2 || !distinctNamed(sc.Shapes) {
			continue
		}
		k := sc.Shapes[0].Kind
		var subs []Subject
		for _, sh := range sc.Shapes {
			c := shapes.Palette()[sh.Colour].Name
			subs = append(subs, Subject{Phrase: c + " " + k.String(), Colour: sh.Colour, Kind: k, Box: Box(sh.Box())})
		}
		out = append(out, subs)
	}
	return out
}

// CustomSubject is a personal subject: a shape in one colour, learned from pictures and named
// in prompts by its class word alone ("triangle"), which draws a triangle of any colour.
type CustomSubject struct {
	Word   string // the class word its residual is added at ("triangle")
	Colour int
	Kind   shapes.Kind
}

func (c CustomSubject) String() string {
	return shapes.Palette()[c.Colour].Name + " " + c.Kind.String()
}

// CustomSubjects are the subjects of the customisation section: colours the bare word rarely
// draws for that shape on the default model (measured at its cones.json settings, 24 seeds:
// "a triangle" never cyan and blue in 3, "a square" never purple, "a circle" orange in 3), so
// that what a method adds shows; the section reports each one's bare-word rate. Subjects that
// appear together (customGroups) have distinct colours and words.
func CustomSubjects() []CustomSubject {
	return []CustomSubject{
		{Word: "triangle", Colour: shapes.Cyan, Kind: shapes.Triangle},
		{Word: "square", Colour: shapes.Purple, Kind: shapes.Square},
		{Word: "circle", Colour: shapes.Orange, Kind: shapes.Circle},
		{Word: "triangle", Colour: shapes.Blue, Kind: shapes.Triangle},
	}
}

// customGroups are the subjects (indices into CustomSubjects) that appear together: distinct
// words, as a prompt names each subject by its word.
func customGroups(n int) [][]int {
	if n == 2 {
		return [][]int{{0, 1}, {2, 3}, {1, 2}, {3, 1}}
	}
	return [][]int{{0, 1, 2}, {3, 1, 2}}
}

// TrainingImages renders n pictures of the subject alone (various places, sizes and
// backgrounds) at size, the subject's "photos".
func (c CustomSubject) TrainingImages(n, size int, seed uint64) ([]Picture, error) {
	if n < 1 {
		return nil, fmt.Errorf("eval: %d training images", n)
	}
	set := shapes.NewSet(seed)
	var out []Picture
	for i := uint64(0); len(out) < n; i++ {
		sc := set.Scene(i)
		if len(sc.Shapes) != 1 {
			continue
		}
		sh := sc.Shapes[0]
		sh.Kind, sh.Colour = c.Kind, c.Colour
		sc.Shapes[0] = sh
		out = append(out, Picture{W: size, H: size, RGB: sc.Render(size)})
	}
	return out, nil
}

// custom returns the Subject of a custom subject in box b.
func (c CustomSubject) custom(b Box) Subject {
	return Subject{Phrase: c.Word, Colour: c.Colour, Kind: c.Kind, Box: b}
}

// CustomItems lists the customisation generations of method: each subject alone ("a
// triangle", no layout), then (for methods that combine subjects) two and three subjects
// together under layouts taken from the test scenes, with full guidance.
func (s Suite) CustomItems(method string) []Item {
	var out []Item
	seed := s.FirstSampleSeed + 10000
	for _, c := range CustomSubjects() {
		for i := range s.CustomSeeds {
			sub := c.custom(Whole())
			out = append(out, Item{Section: SectionCustom1, Prompt: prompt([]Subject{sub}), Subjects: []Subject{sub}, Seed: seed + uint64(i), Method: method})
		}
		seed += uint64(s.CustomSeeds)
	}
	if !combines(method) {
		return out
	}
	for _, n := range []int{2, 3} {
		section := map[int]string{2: SectionCustom2, 3: SectionCustom3}[n]
		groups := customGroups(n)
		set := shapes.NewSet(s.SceneSeed + uint64(n))
		k := 0
		for i := uint64(0); k < s.CustomLayouts; i++ {
			sc := set.Scene(i)
			if len(sc.Shapes) != n {
				continue
			}
			var subs []Subject
			for j, ci := range groups[k%len(groups)] {
				subs = append(subs, CustomSubjects()[ci].custom(Box(sc.Shapes[j].Box())))
			}
			out = append(out, Item{Section: section, Prompt: prompt(subs), Subjects: subs, Mode: Full, Seed: seed + uint64(k), Method: method})
			k++
		}
		seed += uint64(s.CustomLayouts)
	}
	return out
}
