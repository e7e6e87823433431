package main

import (
	"bytes"
	"encoding/json"
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
	if st.Prompt != "a mug and a dog on the beach" || st.Steps != 2 || st.GuidedSteps != 1 || st.Seed != 42 ||
		st.Sampler != "euler" || st.Width != w || st.Height != h || len(st.Subjects) != 2 || st.CFG != 7.5 || st.GuidanceWeight != 0.08 {
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
	if st.Prompt != "a mug and a dog on the beach" || st.GuidedSteps != 1 || st.GuidanceWeight != 0.05 || len(st.Subjects) != 2 {
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
		{[]string{"-model", v.Dir, "-prompt", "a dog", "-out", out, "-steps", "0"}, "steps 0"},
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
