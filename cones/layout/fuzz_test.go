package layout

import (
	"image"
	"image/color"
	"reflect"
	"testing"
)

// FuzzParse: our layout JSON never panics, and whatever it accepts is valid and survives an
// Encode/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(exampleLayout))
	f.Add([]byte(`{"version": 1, "negative": -5, "subjects": []}`))
	f.Add([]byte(`{"version": 1, "subjects": [{"word": "a", "weight": 0, "boxes": [{"x0": 0, "y0": 0, "x1": 1e-300, "y1": 1}]}]}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`[1, 2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid layout: %v", err)
		}
		out, err := Encode(l)
		if err != nil {
			t.Fatalf("Encode of a parsed layout: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-Parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, l) {
			t.Fatalf("round trip changed the layout: %+v -> %+v", l, back)
		}
		pos := make([][]int, len(l.Subjects))
		for i := range pos {
			pos[i] = []int{1 + i}
		}
		if wt, err := l.Build(8, 8, pos); err == nil {
			if _, err := wt.Grid(4); err != nil {
				t.Fatalf("Grid of a built layout: %v", err)
			}
		}
	})
}

// FuzzParseOfficialConfig: the official configuration parser never panics and returns entries
// whose weights and colours are usable.
func FuzzParseOfficialConfig(f *testing.F) {
	f.Add([]byte(officialConfig))
	f.Add([]byte(`{"prompt": "", "color_context": {"1,2,3,4": ["x", 0]}, "guidance_steps": 0,
		"guidance_weight": 0, "weight_negative": 0, "subject_list": []}`))
	f.Add([]byte(`[{"color_context": {"1,2,3": ["x", 1], "1,2,3": ["y", 1]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseOfficialConfig(data)
		if err != nil {
			return
		}
		for _, e := range es {
			if len(e.Colors) == 0 || e.GuidanceSteps < 0 {
				t.Fatalf("accepted entry %+v", e)
			}
			for _, c := range e.Colors {
				if c.Word == "" || checkWeight(c.Weight) != nil {
					t.Fatalf("accepted colour %+v", c)
				}
			}
			for _, s := range e.SubjectList {
				if s.Index < 0 || s.Index >= ContextLen {
					t.Fatalf("accepted subject %+v", s)
				}
			}
		}
	})
}

// FuzzImportPNG: any bytes as the layout image of a fixed configuration either fail cleanly or
// give a layout that builds at the image's size.
func FuzzImportPNG(f *testing.F) {
	f.Add(catHatPNG(f))
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	f.Add(encodePNG(f, gray))
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	pal.Pix = []uint8{0, 1, 1, 0}
	f.Add(encodePNG(f, pal))
	f.Add(pngHeaderOnly(5000, 5000))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, _, err := ImportOfficial([]byte(officialConfig), data)
		if err != nil {
			return
		}
		m := l.Subjects[0].Mask
		wt, err := l.Build(m.H, m.W, [][]int{{5}, {2}})
		if err != nil {
			t.Fatalf("imported layout does not build at its own size: %v", err)
		}
		if len(wt.Orig()) != m.H*m.W*ContextLen {
			t.Fatal("wrong map size")
		}
	})
}
