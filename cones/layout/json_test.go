package layout

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const exampleLayout = `{
  "version": 1,
  "subjects": [
    {"word": "dog", "boxes": [{"x0": 0.05, "y0": 0.3, "x1": 0.45, "y1": 0.95}]},
    {"word": "red mug", "weight": 3,
     "boxes": [{"x0": 0.5, "y0": 0.5, "x1": 0.9, "y1": 0.9}, {"x0": 0, "y0": 0, "x1": 0.1, "y1": 0.1}]}
  ]
}`

func TestParse(t *testing.T) {
	l, err := Parse([]byte(exampleLayout))
	if err != nil {
		t.Fatal(err)
	}
	want := &Layout{Negative: DefaultNegative, Subjects: []Subject{
		{Word: "dog", Weight: DefaultWeight, Boxes: []Box{{0.05, 0.3, 0.45, 0.95}}},
		{Word: "red mug", Weight: 3, Boxes: []Box{{0.5, 0.5, 0.9, 0.9}, {0, 0, 0.1, 0.1}}},
	}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("got %+v\nwant %+v", l, want)
	}
	// Round trip through Encode.
	data, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip: got %+v, want %+v", back, l)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"not json", `{"version": 1,`, "layout: invalid JSON"},
		{"trailing data", `{"version": 1, "subjects": []} {}`, "data after the layout object"},
		{"unknown field", `{"version": 1, "subjects": [], "negativ": -5}`, `unknown field "negativ"`},
		{"no version", `{"subjects": []}`, `missing "version"`},
		{"newer version", `{"version": 2, "subjects": []}`, "file version 2 is newer than this program's 1"},
		{"old version", `{"version": 0, "subjects": []}`, "unknown file version 0"},
		{"box outside", `{"version": 1, "subjects": [{"word": "dog", "boxes": [{"x0": 0, "y0": 0, "x1": 1.2, "y1": 1}]}]}`,
			`subject 0 "dog": box 0: x1 = 1.2 is outside the image`},
		{"inverted box", `{"version": 1, "subjects": [{"word": "cat", "boxes": [{"x0": 0, "y0": 0.9, "x1": 1, "y1": 0.1}]}]}`,
			`subject 0 "cat": box 0: empty or inverted box: y1 = 0.1 is not below y0 = 0.9`},
		{"missing coordinate", `{"version": 1, "subjects": [{"word": "cat", "boxes": [{"x0": 0, "y0": 0, "x1": 1}]}]}`,
			`subject 0 "cat": box 0: needs "x0", "y0", "x1" and "y1"`},
		{"no boxes", `{"version": 1, "subjects": [{"word": "cat", "boxes": []}]}`, `subject 0 "cat": empty region`},
		{"weight too large", `{"version": 1, "subjects": [{"word": "cat", "weight": 1e39, "boxes": [{"x0": 0, "y0": 0, "x1": 1, "y1": 1}]}]}`,
			`subject 0 "cat": weight: |1e+39| exceeds 1e+30`},
		{"number out of range", `{"version": 1, "negative": -1e400, "subjects": []}`, "invalid JSON"},
		{"empty word", `{"version": 1, "subjects": [{"word": "", "boxes": [{"x0": 0, "y0": 0, "x1": 1, "y1": 1}]}]}`,
			`subject 0 "": empty word`},
		{"wrong type", `{"version": "1", "subjects": []}`, "invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	var ve *VersionError
	if _, err := Parse([]byte(`{"version": 7, "subjects": []}`)); !errors.As(err, &ve) || ve.Got != 7 {
		t.Fatalf("version error not typed: %v", err)
	}
	big := make([]byte, MaxConfigBytes+1)
	if _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("oversized file: %v", err)
	}
}

func TestEncodeRefusesMasks(t *testing.T) {
	l := &Layout{Negative: -1, Subjects: []Subject{{Word: "dog", Weight: 1, Mask: &Mask{W: 1, H: 1, In: []bool{true}}}}}
	if _, err := Encode(l); err == nil || !strings.Contains(err.Error(), "mask subject cannot be written") {
		t.Fatalf("error %v", err)
	}
}
