package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/pngtext"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
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
	texts, err := pngtext.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	st, err := settings.Unmarshal([]byte(texts[settings.PNGKeyword]))
	if err != nil {
		t.Fatal(err)
	}
	return st, img.Bounds().Dx(), img.Bounds().Dy()
}

func TestGenerateCommandBoxes(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	lay := filepath.Join(dir, "layout.json")
	if err := os.WriteFile(lay, []byte(`{"version": 1, "negative": -1e8, "subjects": [
		{"word": "dog", "boxes": [{"x0": 0, "y0": 0.25, "x1": 0.5, "y1": 1}]},
		{"word": "mug", "weight": 2.5, "boxes": [{"x0": 0.5, "y0": 0.25, "x1": 1, "y1": 1}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, lat := filepath.Join(dir, "out.png"), filepath.Join(dir, "latents.safetensors")
	err := runGenerate([]string{"-model", v.Dir, "-prompt", "a mug and a dog on the beach", "-layout", lay,
		"-residual", filepath.Join(v.Dir, "expected/residuals/dog.pt"), "-residual", "mug=" + filepath.Join(v.Dir, "expected/residuals/mug.pt"),
		"-steps", "2", "-guidance-steps", "1", "-seed", "42", "-sampler", "euler", "-out", out, "-latents", lat})
	if err != nil {
		t.Fatal(err)
	}
	st, w, h := readSettings(t, out)
	if st.Prompt != "a mug and a dog on the beach" || st.Steps != 2 || st.GuidanceSteps != 1 || st.Seed != 42 ||
		st.Sampler != "euler" || st.Width != w || st.Height != h || len(st.Subjects) != 2 || st.CFGScale != 7.5 || st.GuidanceWeight != 0.08 {
		t.Fatalf("settings %+v for a %dx%d image", st, w, h)
	}
	if !strings.Contains(string(st.Layout), `"mug"`) {
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
	tv, ok := sf.Tensor("latents")
	if !ok || len(tv.Shape()) != 4 || int(tv.Shape()[2])*8 != h {
		t.Fatalf("latents file: %v %v", ok, tv.Shape())
	}
}

// The official configuration supplies prompt, guidance settings and residual_dict.
func TestGenerateCommandOfficial(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	cfg := []map[string]any{{
		"prompt":          "a mug and a dog on the beach",
		"residual_dict":   map[string]string{"dog": filepath.Join(v.Dir, "expected/residuals/dog.pt"), "mug": filepath.Join(v.Dir, "expected/residuals/mug.pt")},
		"color_context":   map[string]any{"255,192,0": []any{"mug", 2.5}, "255,0,0": []any{"dog", 2.5}},
		"guidance_steps":  1,
		"guidance_weight": 0.05,
		"weight_negative": -1e8,
		"layout":          "layout.png",
		"subject_list":    [][]any{{"mug", 2}, {"dog", 5}},
	}}
	js, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, js, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	err := runGenerate([]string{"-model", v.Dir, "-layout", cfgPath, "-layout-png", filepath.Join(v.Dir, "expected/layout.png"),
		"-steps", "2", "-out", out})
	if err != nil {
		t.Fatal(err)
	}
	st, _, _ := readSettings(t, out)
	if st.Prompt != "a mug and a dog on the beach" || st.GuidanceSteps != 1 || st.GuidanceWeight != 0.05 || len(st.Subjects) != 2 {
		t.Fatalf("settings %+v", st)
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	out := filepath.Join(t.TempDir(), "x.png")
	dog := filepath.Join(v.Dir, "expected/residuals/dog.pt")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-prompt", "a dog", "-out", out}, "-model is required"},
		{[]string{"-model", v.Dir, "-prompt", "a dog"}, "-out is required"},
		{[]string{"-model", v.Dir, "-out", out}, "-prompt is required"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-layout-png", "x.png"}, "-layout-png needs"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-residual", "/nonexistent.pt"}, "nonexistent"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-residual", dog, "-residual", dog}, "two residuals"},
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-layout", "/nonexistent.json"}, "layout"},
		{[]string{"-model", filepath.Join(v.Dir, "nope"), "-prompt", "a dog", "-out", out}, "nope"},
		{[]string{"-model", v.Dir, "-prompt", "a cat", "-out", out, "-residual", dog}, `"dog" does not occur`},
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
