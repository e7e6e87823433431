package settings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/internal/fixture"
)

// officialLayout is the fixture's colour layout of one model folder, imported the official way.
func officialLayout(t *testing.T, v fixture.Variant) *layout.Layout {
	t.Helper()
	pic, err := os.ReadFile(filepath.Join(v.ExpectedDir(), "layout.png"))
	if err != nil {
		t.Fatal(err)
	}
	o := layout.Official{Colors: []layout.ColorSubject{
		{Key: "255,192,0", Color: [3]uint8{255, 192, 0}, Word: "mug", Weight: 2.5},
		{Key: "255,0,0", Color: [3]uint8{255, 0, 0}, Word: "dog", Weight: 3},
	}}
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
	// A box subject between the two mask subjects.
	l.Subjects = append(l.Subjects[:1], append([]layout.Subject{{Word: "beach", Weight: 2, Boxes: []layout.Box{{X0: 0, Y0: 0.5, X1: 1, Y1: 1}}}}, l.Subjects[1:]...)...)
	data, regions, err := SplitLayout(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 2 || regions[0].Index != 0 || regions[1].Index != 2 || strings.Contains(string(data), "mug") {
		t.Fatalf("regions %+v, JSON %s", regions, data)
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
