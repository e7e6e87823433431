package reuse

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/library"
)

const (
	rexHash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	mugHash = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	catHash = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

var page = Page{Samplers: []string{"lms", "euler"}, SizeStep: 8}

// recorded is what the page records for a run with three subjects and two boxes.
func recorded() settings.Settings {
	return settings.Settings{
		Format: settings.Format, Prompt: "a rex, a mug and a cat", Sampler: "euler", Steps: 20, GuidanceSteps: 15,
		GuidanceWeight: 1.5, CFGScale: 6, Seed: 3, Width: 32, Height: 48,
		Subjects: []settings.Subject{{Word: "rex", Residual: rexHash}, {Word: "mug", Residual: mugHash}, {Word: "cat", Residual: catHash}},
		Layout: []byte(`{"version": 1, "subjects": [
			{"word": "rex", "boxes": [{"x0": 0, "y0": 0, "x1": 0.5, "y1": 1}]},
			{"word": "mug", "boxes": [{"x0": 0.5, "y0": 0, "x1": 1, "y1": 1}]}]}`),
	}
}

// blank is an encoded PNG without text chunks.
func blank(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func withSettings(t *testing.T, s settings.Settings) []byte {
	t.Helper()
	out, err := s.ToPNG(blank(t))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// library: rex as recorded, mug renamed since, and another residual under "cat".
var have = []library.Subject{{ID: rexHash, Word: "rex"}, {ID: mugHash, Word: "cup"}, {ID: "dddd", Word: "cat"}}

func TestFromPNG(t *testing.T) {
	want := recorded()
	p, err := FromPNG(withSettings(t, want), page, have)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Settings
	if got.Prompt != want.Prompt || got.Sampler != "euler" || got.Steps != 20 || got.GuidanceSteps != 15 ||
		got.GuidanceWeight != 1.5 || got.CFGScale != 6 || got.Seed != 3 || got.Width != 32 || got.Height != 48 {
		t.Errorf("settings %+v", got)
	}
	if p.Layout == nil || len(p.Layout.Subjects) != 2 || p.Layout.Subjects[1].Boxes[0].X0 != 0.5 {
		t.Fatalf("layout %+v", p.Layout)
	}
	wantNeeds := []Need{{Word: "rex", Residual: rexHash, Have: "rex"}, {Word: "mug", Residual: mugHash, Have: "cup"},
		{Word: "cat", Residual: catHash, Other: true}}
	for i, n := range p.Subjects {
		if n != wantNeeds[i] {
			t.Errorf("subject %d: %+v, want %+v", i, n, wantNeeds[i])
		}
	}
	if m := p.Missing(); strings.Join(m, ",") != "mug,cat" {
		t.Errorf("missing %v", m)
	}
}

func TestMessage(t *testing.T) {
	p, err := FromPNG(withSettings(t, recorded()), page, have)
	if err != nil {
		t.Fatal(err)
	}
	msg, warn := p.Message("made.png")
	for _, part := range []string{
		`Settings restored from made.png: prompt "a rex, a mug and a cat", sampler euler, 20 steps (15 guided), guidance weight 1.5, CFG 6, seed 3, 32×48, layout 2 boxes.`,
		`"rex" (in the library)`,
		`"mug" (the library has its residual as "cup": rename it to mug)`,
		`"cat" (residual sha256 cccccccccccc… is not in the library, whose "cat" is another residual`,
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("message lacks %q:\n%s", part, msg)
		}
	}
	if !warn {
		t.Error("missing subjects should warn")
	}
	s := recorded()
	s.Subjects, s.Layout = nil, nil
	p, err = New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, warn = p.Message("the gallery")
	if warn || !strings.HasSuffix(msg, "no layout recorded (the boxes are unchanged).") || strings.Contains(msg, "Subject words") {
		t.Errorf("message without subjects or layout (warn %v): %s", warn, msg)
	}
}

// TestFromPNGRefuses: every file that cannot be used says why, naming the problem.
func TestFromPNGRefuses(t *testing.T) {
	bad := recorded()
	bad.Steps, bad.GuidanceSteps, bad.Width = 0, 0, 30
	badLayout := recorded()
	badLayout.Layout = []byte(`{"version": 9}`)
	huge := append(withSettings(t, recorded()), make([]byte, settings.MaxPNGBytes)...)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a PNG", []byte(`{"version": 1}`), "not a PNG image"},
		{"empty", nil, "not a PNG image"},
		{"no settings", blank(t), `carries no Cones 2 settings`},
		{"cut short", withSettings(t, recorded())[:100], "claims 622 bytes"},
		{"bad values", withSettings(t, bad), "steps: 0 is outside 1..500; width: 30 px: use a multiple of 8"},
		{"bad layout", withSettings(t, badLayout), "its layout"},
		{"too large", huge, "more than the 33.6 MB"},
	} {
		if _, err := FromPNG(c.data, page, have); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}
