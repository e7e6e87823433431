package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
)

// sameRecord fails unless two images record the same settings and are the same file (the same
// pixels, encoded alike).
func sameRecord(t *testing.T, got, want string) settings.Settings {
	t.Helper()
	gs, _, _ := readSettings(t, got)
	ws, _, _ := readSettings(t, want)
	a, _ := gs.Marshal()
	b, _ := ws.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatalf("%s records\n%s\n%s records\n%s", got, a, want, b)
	}
	ga, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ga, wa) {
		t.Fatalf("%s and %s record the same settings but differ in pixels", got, want)
	}
	return gs
}

// generate → PNG → -from → the same settings and the same image; flags given with -from win.
func TestGenerateFromRoundTrip(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	lay, _ := boxLayout(t, ls)
	dir := t.TempDir()
	first, again, changed := filepath.Join(dir, "first.png"), filepath.Join(dir, "again.png"), filepath.Join(dir, "changed.png")
	args := append([]string{"-model", v.Dir, "-prompt", ls.Prompt, "-layout", lay, "-negative-weight", "-1e6"}, residualArgs(v, ls)...)
	args = append(args, "-steps", "2", "-guidance-steps", "1", "-guidance-weight", "0.1", "-cfg", "5", "-seed", "42", "-sampler", "euler")
	if err := runGenerate(append(args, "-out", first)); err != nil {
		t.Fatal(err)
	}
	// Only the model, the residual files (not in the image) and the output are given again.
	from := append([]string{"-model", v.Dir, "-from", first}, residualArgs(v, ls)...)
	if err := runGenerate(append(from, "-out", again)); err != nil {
		t.Fatal(err)
	}
	st := sameRecord(t, again, first)
	if st.Seed != 42 || st.Sampler != "euler" || st.CFGScale != 5 || st.GuidanceWeight != 0.1 || !strings.Contains(string(st.Layout), `"negative":-1000000`) {
		t.Fatalf("the record lost the run's own settings: %+v", st)
	}

	if err := runGenerate(append(from, "-seed", "7", "-steps", "1", "-out", changed)); err != nil {
		t.Fatal(err)
	}
	ch, _, _ := readSettings(t, changed)
	want := st
	want.Seed, want.Steps, want.GuidanceSteps = 7, 1, 1
	a, _ := ch.Marshal()
	b, _ := want.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatalf("with -seed 7 -steps 1 the record is\n%s\nwant\n%s", a, b)
	}
}

// An official colour layout's masks travel in the record too, so its image is made again
// without the configuration and the layout PNG.
func TestGenerateFromOfficialLayout(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	dir := t.TempDir()
	first, again := filepath.Join(dir, "first.png"), filepath.Join(dir, "again.png")
	err := runGenerate([]string{"-model", v.Dir, "-layout", officialConfig(t, v, ls), "-layout-png", v.Path(ls.Layout), "-steps", "2", "-seed", "3", "-out", first})
	if err != nil {
		t.Fatal(err)
	}
	if err := runGenerate(append([]string{"-model", v.Dir, "-from", first, "-out", again}, residualArgs(v, ls)...)); err != nil {
		t.Fatal(err)
	}
	if st := sameRecord(t, again, first); len(st.Regions) == 0 {
		t.Fatal("no mask regions recorded")
	}
}

func TestGenerateFromErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	dir := t.TempDir()
	made := filepath.Join(dir, "made.png")
	if err := runGenerate(append([]string{"-model", v.Dir, "-prompt", ls.Prompt, "-steps", "1", "-out", made}, residualArgs(v, ls)...)); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := png.Encode(&plain, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.png")
	if err := os.WriteFile(bare, plain.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	word := ls.ResidualWords()[0]
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-from", made}, "give the residual files again with -residual"},
		{[]string{"-from", made}, strconv.Quote(word)},
		{[]string{"-from", bare}, "carries no Cones 2 settings"},
		{[]string{"-from", filepath.Join(dir, "missing.png")}, "missing.png"},
		{[]string{"-from", dir}, "-from"}, // a folder is refused in one line
	} {
		err := runGenerate(append([]string{"-model", v.Dir, "-out", out}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed run wrote its output")
	}
}
