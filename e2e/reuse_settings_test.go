package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/cones2web/cones2/cones/settings"
)

// formState is the generate form's fields and the layout's boxes, in one comparable line.
func (s *appSite) formState() string {
	fields := pageEval[string](s, `["prompt", "sampler", "steps", "guided_steps", "guidance_weight", "cfg", "seed", "width", "height"].map(id =>
		document.getElementById(id).value).join("|")`)
	return fmt.Sprintf("%s %v", fields, s.boxes())
}

// reuseSettings drops an image the page made (the download at path, made from want) on the
// generate panel after the form and the layout changed: its settings and boxes come back. Files
// that cannot be used (not a PNG, a PNG without settings, too large) say why and change
// nothing; a chosen PNG that records subjects by hash names the words and what the library lacks.
func reuseSettings(s *appSite, path string, want settings.Settings) {
	s.typeInto("seed", "99")
	s.typeInto("steps", "5")
	s.typeInto("prompt", "a blue square")
	s.click("#box-clear")
	s.dropFiles("#generate", path)
	name := filepath.Base(path)
	msg := s.waitText("settings-message", "Settings restored from "+name)
	wantForm := fmt.Sprintf("%s|euler|20|15|1.5|6|%d|%d|%d", want.Prompt, want.Seed, want.Width, want.Height)
	state := s.formState()
	if !strings.HasPrefix(state, wantForm+" ") || !strings.Contains(state, "{red circle") || !strings.Contains(state, "{blue square") {
		s.t.Errorf("after dropping %s the form and boxes are %q, want %q and the two boxes", name, state, wantForm)
	}
	if !strings.Contains(msg, "layout 2 boxes") {
		s.t.Errorf("message %q does not name the restored layout", msg)
	}

	var plain bytes.Buffer
	if err := png.Encode(&plain, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		s.t.Fatal(err)
	}
	huge := s.writeFile("huge.png", nil)
	if err := os.Truncate(huge, 40<<20); err != nil {
		s.t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{s.writeFile("layout-copy.json", []byte(defaultModelLayout)), "Nothing restored from layout-copy.json: it is not a PNG image"},
		{s.writeFile("plain.png", plain.Bytes()), "Nothing restored from plain.png: this PNG carries no Cones 2 settings"},
		{huge, "Nothing restored from huge.png: 41.9 MB, more than the 33.6 MB this accepts"},
	} {
		s.upload("settings-import", c.path)
		s.waitText("settings-message", c.want)
		if got := s.formState(); got != state {
			s.t.Errorf("%s changed the form: %q, was %q", filepath.Base(c.path), got, state)
		}
	}

	// Chosen with the file button: settings written by settings.ToPNG with a subject recorded
	// by its residual's hash, which this library does not have, and no layout.
	made := want
	made.Seed, made.Width, made.Height, made.Layout, made.Regions = 7, 40, 24, nil, nil
	made.Subjects = []settings.Subject{{Word: "red circle", Residual: strings.Repeat("ab", 32)}}
	withSubject, err := made.ToPNG(plain.Bytes())
	if err != nil {
		s.t.Fatal(err)
	}
	s.upload("settings-import", s.writeFile("subject.png", withSubject))
	msg = s.waitText("settings-message", "Settings restored from subject.png")
	if got, want := s.formState(), fmt.Sprintf("%s|euler|20|15|1.5|6|7|40|24 ", made.Prompt); !strings.HasPrefix(got, want) {
		s.t.Errorf("after choosing subject.png the form is %q, want %q", got, want)
	}
	for _, part := range []string{`"red circle" (residual sha256 abababababab… is not in the library`, "no layout recorded"} {
		if !strings.Contains(msg, part) {
			s.t.Errorf("message %q lacks %q", msg, part)
		}
	}
}
