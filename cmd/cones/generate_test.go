package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
	"github.com/nlpodyssey/safetensors"
)

// readSettings decodes a written PNG and the settings in its tEXt chunk.
func readSettings(t *testing.T, path string) (settings.Settings, int, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	st, err := settings.FromPNG(data)
	if err != nil {
		t.Fatal(err)
	}
	return st, img.Bounds().Dx(), img.Bounds().Dy()
}

// residualArgs gives each residual cases.layout_sampling lists as a -residual flag: the plain
// path where the file is named after its word (the official repository's naming), word=path
// otherwise and for every word after the first, so both forms are used.
func residualArgs(v fixture.Variant, ls fixture.LayoutCase) []string {
	var args []string
	for i, w := range ls.ResidualWords() {
		p := v.Path(ls.Residuals[w])
		if i > 0 || residual.WordFromFileName(p) != w {
			p = w + "=" + p
		}
		args = append(args, "-residual", p)
	}
	return args
}

// subjectWords lists the words the settings record residuals for, sorted.
func subjectWords(st settings.Settings) []string {
	var out []string
	for _, s := range st.Subjects {
		out = append(out, s.Word)
	}
	slices.Sort(out)
	return out
}

// boxLayout writes a layout file with one box per subject word of the fixture's layout case,
// side by side, and returns its path and the words in order.
func boxLayout(t *testing.T, ls fixture.LayoutCase) (string, []string) {
	t.Helper()
	var words []string
	for _, s := range ls.Subjects {
		if !slices.Contains(words, s.Word) {
			words = append(words, s.Word)
		}
	}
	var subjects []map[string]any
	for i, w := range words {
		x0, x1 := float64(i)/float64(len(words)), float64(i+1)/float64(len(words))
		sub := map[string]any{"word": w, "boxes": []map[string]float64{{"x0": x0, "y0": 0.25, "x1": x1, "y1": 1}}}
		if i > 0 {
			sub["weight"] = 2.5 // the first takes the default
		}
		subjects = append(subjects, sub)
	}
	js, err := json.Marshal(map[string]any{"version": 1, "negative": -1e8, "subjects": subjects})
	if err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(t.TempDir(), "layout.json")
	if err := os.WriteFile(lay, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return lay, words
}

// The fixture's prompt and residuals with a box layout: one box per subject word, side by side.
func TestGenerateCommandBoxes(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	lay, words := boxLayout(t, ls)
	dir := t.TempDir()
	out, lat := filepath.Join(dir, "out.png"), filepath.Join(dir, "latents.safetensors")
	args := append([]string{"-model", v.Dir, "-prompt", ls.Prompt, "-layout", lay}, residualArgs(v, ls)...)
	err := runGenerate(append(args, "-steps", "2", "-guidance-steps", "1", "-seed", "42", "-sampler", "euler", "-out", out, "-latents", lat))
	if err != nil {
		t.Fatal(err)
	}
	st, w, h := readSettings(t, out)
	if st.Prompt != ls.Prompt || st.Steps != 2 || st.GuidanceSteps != 1 || st.Seed != 42 || st.Sampler != "euler" ||
		st.Width != w || st.Height != h || !slices.Equal(subjectWords(st), ls.ResidualWords()) || st.CFGScale != 7.5 || st.GuidanceWeight != 0.08 {
		t.Fatalf("settings %+v for a %dx%d image", st, w, h)
	}
	if !strings.Contains(string(st.Layout), strconv.Quote(words[len(words)-1])) {
		t.Fatalf("layout not recorded: %s", st.Layout)
	}
	data, err := os.ReadFile(lat)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := safetensors.Deserialize(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tv, ok := sf.Tensor("latents")
	if !ok || len(tv.Shape()) != 4 || int(tv.Shape()[2])*f.VAE.DownsampleFactor() != h {
		t.Fatalf("latents file: %v %v", ok, tv.Shape())
	}
}

// officialConfig writes the fixture's official configuration (cases.layout_sampling) with one
// guided step and guidance weight 0.05, and returns its path.
func officialConfig(t *testing.T, v fixture.Variant, ls fixture.LayoutCase) string {
	t.Helper()
	dict := map[string]string{}
	for w, p := range ls.Residuals {
		dict[w] = v.Path(p)
	}
	cfg := []map[string]any{{
		"prompt":          ls.Prompt,
		"residual_dict":   dict,
		"color_context":   ls.ColorContext, // raw: keeps the file's key order
		"guidance_steps":  1,
		"guidance_weight": 0.05,
		"weight_negative": -1e8,
		"layout":          filepath.Base(ls.Layout),
		"subject_list":    ls.SubjectList,
	}}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// The official configuration (the fixture's, from cases.layout_sampling) supplies prompt,
// guidance settings and residual_dict.
func TestGenerateCommandOfficial(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	cfgPath := officialConfig(t, v, ls)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	err := runGenerate([]string{"-model", v.Dir, "-layout", cfgPath, "-layout-png", v.Path(ls.Layout), "-steps", "2", "-out", out})
	if err != nil {
		t.Fatal(err)
	}
	st, _, _ := readSettings(t, out)
	if st.Prompt != ls.Prompt || st.GuidanceSteps != 1 || st.GuidanceWeight != 0.05 || !slices.Equal(subjectWords(st), ls.ResidualWords()) {
		t.Fatalf("settings %+v", st)
	}
	if len(st.Regions) == 0 {
		t.Fatal("the colour layout's masks were not recorded")
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	ls := v.Layout(t)
	if len(ls.Residuals) == 0 {
		t.Fatalf("%s: cases.json lists no residuals", v.Name)
	}
	word := ls.ResidualWords()[0]
	res := word + "=" + v.Path(ls.Residuals[word])
	elsewhere := "a cat" // a prompt without the residual's word
	if strings.Contains(elsewhere, word) {
		elsewhere = "a tree"
	}
	out := filepath.Join(t.TempDir(), "x.png")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-prompt", "a dog", "-out", out}, "-model is required"},
		{[]string{"-model", v.Dir, "-prompt", "a dog"}, "-out is required"},
		{[]string{"-model", v.Dir, "-out", out}, "-prompt is required"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-layout-png", "x.png"}, "-layout-png needs"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-residual", "/nonexistent.pt"}, "nonexistent"},
		{[]string{"-model", v.Dir, "-prompt", ls.Prompt, "-out", out, "-residual", res, "-residual", res}, "two residuals"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-layout", "/nonexistent.json"}, "layout"},
		{[]string{"-model", filepath.Join(v.Dir, "nope"), "-prompt", "a dog", "-out", out}, "nope"},
		{[]string{"-model", v.Dir, "-prompt", elsewhere, "-out", out, "-residual", res}, strconv.Quote(word) + " does not occur"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-steps", "0"}, "steps: 0"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "stray"}, "unexpected argument"},
	}
	for _, c := range cases {
		err := runGenerate(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed run wrote its output")
	}
}

// recommendedJSON recommends sampling settings no flag default has, so a test can tell where
// each value came from.
const recommendedJSON = `{"format": "cones2-model-settings/1",
	"sampling": {"sampler": "euler", "steps": 2, "guided_steps": 1, "guidance_weight": 1.5, "cfg": 3},
	"training": {"steps": 2, "lr": 0.002, "first_weight": 0.5, "second_weight": 0.25, "sentences": ["a {} in the world", "one {}"]},
	"example": {"prompt": "a dog on the beach", "subjects": ["dog"]}}`

// The sampling flags default to the model folder's cones.json; flags given still win, and the
// run ends by saying what it wrote.
func TestGenerateCommandModelDefaults(t *testing.T) {
	v := fixture.Variants(t)[0]
	model := fixture.WithSettings(t, v.Dir, recommendedJSON)
	out := filepath.Join(t.TempDir(), "out.png")
	var said bytes.Buffer
	if err := generateCommand([]string{"-model", model, "-prompt", "a dog", "-seed", "9", "-out", out}, &said); err != nil {
		t.Fatal(err)
	}
	st, w, h := readSettings(t, out)
	if st.Sampler != "euler" || st.Steps != 2 || st.GuidanceSteps != 1 || st.GuidanceWeight != 1.5 || st.CFGScale != 3 {
		t.Errorf("settings %+v, want the model's euler, 2 steps (1 guided), weight 1.5, CFG 3", st)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wrote " + out, fmt.Sprintf("%dx%d PNG", w, h), humanBytes(int(info.Size())),
		"seed 9", "sampler euler", "2 steps (1 guided)", "guidance weight 1.5", "CFG 3", `prompt "a dog"`} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("the report %q does not say %q", said.String(), want)
		}
	}

	said.Reset()
	if err := generateCommand([]string{"-model", model, "-prompt", "a dog", "-out", out, "-steps", "3", "-cfg", "7.5",
		"-sampler", "ddim", "-guidance-weight", "0", "-guidance-steps", "0"}, &said); err != nil {
		t.Fatal(err)
	}
	st, _, _ = readSettings(t, out)
	if st.Sampler != "ddim" || st.Steps != 3 || st.GuidanceSteps != 0 || st.GuidanceWeight != 0 || st.CFGScale != 7.5 {
		t.Errorf("settings %+v, want the flags' ddim, 3 steps (0 guided), weight 0, CFG 7.5", st)
	}

	// A folder without cones.json gets the official values (steps cut short by the flag, every
	// step still guided).
	said.Reset()
	if err := generateCommand([]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-steps", "1"}, &said); err != nil {
		t.Fatal(err)
	}
	st, _, _ = readSettings(t, out)
	if st.Sampler != "lms" || st.Steps != 1 || st.GuidanceSteps != 1 || st.GuidanceWeight != 0.08 || st.CFGScale != 7.5 {
		t.Errorf("settings %+v, want the official lms, weight 0.08, CFG 7.5 with 1 step, guided", st)
	}
}

// A broken cones.json is named, not ignored.
func TestGenerateCommandBadRecommended(t *testing.T) {
	v := fixture.Variants(t)[0]
	model := fixture.WithSettings(t, v.Dir, `{"format": "cones2-model-settings/1", "sampling": {"stpes": 3}}`)
	err := runGenerate([]string{"-model", model, "-prompt", "a dog", "-out", filepath.Join(t.TempDir(), "x.png")})
	if err == nil || !strings.Contains(err.Error(), "cones.json") || !strings.Contains(err.Error(), "stpes") {
		t.Fatalf("got %v, want an error naming cones.json and the unknown field", err)
	}
}

// The help says where the defaults come from.
func TestGenerateHelpNamesModelDefaults(t *testing.T) {
	if !strings.Contains(generateUsage, "cones.json") || !strings.Contains(generateUsage, "always wins") {
		t.Errorf("generate's usage does not say the defaults are the model's:\n%s", generateUsage)
	}
}
