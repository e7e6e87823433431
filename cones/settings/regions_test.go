package settings

import (
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/internal/fixture"
)

// officialLayout is the fixture's colour layout of one model folder, imported the official way
// from its cases.layout_sampling colours and PNG. Each colour's weight is made distinct (the
// files' are all 2.5), so a region that takes another's weight shows.
func officialLayout(t *testing.T, v fixture.Variant) *layout.Layout {
	t.Helper()
	ls := v.Layout(t)
	if len(ls.Colors) < 2 {
		t.Skipf("%s: cases.json's color_context has %d colours, the test needs two mask subjects", v.Name, len(ls.Colors))
	}
	pic, err := os.ReadFile(v.Path(ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	var o layout.Official
	for i, c := range ls.Colors {
		o.Colors = append(o.Colors, layout.ColorSubject{Key: c.Key, Color: c.RGB, Word: c.Word, Weight: c.Weight + 0.5*float64(i)})
	}
	o.WeightNegative = layout.DefaultNegative
	l, err := o.Layout(pic)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSplitJoinKeepsMasksBoxesAndOrder(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) { splitJoin(t, officialLayout(t, v)) })
	}
}

func splitJoin(t *testing.T, l *layout.Layout) {
	masks := map[string]bool{}
	for _, s := range l.Subjects {
		masks[s.Word] = true
	}
	box := "beach"
	for masks[box] {
		box += "x"
	}
	// A box subject between the first two mask subjects.
	l.Subjects = append(l.Subjects[:1], append([]layout.Subject{{Word: box, Weight: 2, Boxes: []layout.Box{{X0: 0, Y0: 0.5, X1: 1, Y1: 1}}}}, l.Subjects[1:]...)...)
	data, regions, err := SplitLayout(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != len(masks) || regions[0].Index != 0 || regions[1].Index != 2 {
		t.Fatalf("regions %+v, JSON %s", regions, data)
	}
	for w := range masks {
		if strings.Contains(string(data), strconv.Quote(w)) {
			t.Fatalf("mask subject %q in the box JSON %s", w, data)
		}
	}
	// Through JSON, as settings and drafts are stored.
	b, err := json.Marshal(regions)
	if err != nil {
		t.Fatal(err)
	}
	var back []Region
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := JoinLayout(data, back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, l) {
		t.Errorf("layout changed through split and join")
	}
}

func TestJoinRejectsBadRegions(t *testing.T) {
	_, regions, err := SplitLayout(officialLayout(t, fixture.Variants(t)[0]))
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Region{
		"not a png":  {Word: "x", Weight: 1, Mask: []byte("nope")},
		"empty mask": {Word: "x", Weight: 1, Mask: mustPNG(t, &layout.Mask{W: 2, H: 2, In: make([]bool, 4)})},
		"bad index":  {Index: 5, Word: "x", Weight: 1, Mask: regions[0].Mask},
		"huge":       {Word: "x", Weight: 1, Mask: make([]byte, MaxRegionPNG+1)},
		"empty word": {Word: "", Weight: 1, Mask: regions[0].Mask},
	} {
		if _, err := JoinLayout(nil, []Region{r}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustPNG(t *testing.T, m *layout.Mask) []byte {
	t.Helper()
	b, err := maskPNG(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
