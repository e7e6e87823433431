package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// defaultModelLayout puts the two subjects of defaultModelPrompt side by side.
const (
	defaultModelPrompt = "a red circle and a blue square"
	defaultModelLayout = `{"version": 1, "subjects": [
		{"word": "red circle", "boxes": [{"x0": 0, "y0": 0.15, "x1": 0.5, "y1": 0.85}]},
		{"word": "blue square", "boxes": [{"x0": 0.5, "y0": 0.15, "x1": 1, "y1": 0.85}]}]}`
)

// defaultModelSettings is the cones.json TestDefaultModel serves beside the default model:
// sampling settings that differ from the page's official ones in every field, so each field
// the page starts with shows where it came from, and the example the test generates.
const defaultModelSettings = `{"format": "cones2-model-settings/1",
	"sampling": {"sampler": "euler", "steps": 20, "guided_steps": 15, "guidance_weight": 1.5, "cfg": 6},
	"training": {"steps": 300, "lr": 1e-4, "first_weight": 0.01, "second_weight": 0.001},
	"example": {"prompt": "` + defaultModelPrompt + `", "subjects": ["red circle", "blue square"]}}`

// TestDefaultModel generates on the page with the model `make run` serves (weights/default,
// here a copy with a cones.json of the test's own) and checks that the page starts from the
// model: its example prompt, its recommended sampling settings (20 steps instead of 50) and
// subject training steps (300, on a server that does not train), the
// example's subject phrases offered for new boxes (and the phrases of the prompts typed after,
// none left from before), and no request for a file the manifest does not list. It waits for the
// page to say it has compiled a first picture's kernels, then generates at those settings and checks the picture against the server
// engine given the settings stored in the PNG: the browser's WebGPU engine (float16 weights on
// the GPU, float32 activations) and the CPU reference make the same image. Dropped back on the
// generate panel, the downloaded PNG restores its settings (reuseSettings). With
// CONES_SCREENSHOT set it takes the README's screenshot.
func TestDefaultModel(t *testing.T) {
	root, err := headless.ModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	model := modelWithSettings(t, filepath.Join(root, "weights", "default"), defaultModelSettings)
	s := newAppSiteServing(t, model, nil)
	s.click("#model-load")
	s.waitText("model-offline", "saved and verified")
	s.waitFor(`!document.getElementById("generate-start").disabled`, "the default model to load")
	// The form starts from the model's cones.json.
	if got := pageEval[string](s, `["prompt", "sampler", "steps", "guided_steps", "guidance_weight", "cfg"].map(id =>
		document.getElementById(id).value).join("|")`); got != defaultModelPrompt+"|euler|20|15|1.5|6" {
		t.Errorf("the form starts as %q, want the model's example and settings %q", got, defaultModelPrompt+"|euler|20|15|1.5|6")
	}
	// This server does not train: the "New subject" steps are the model's recommendation all
	// the same, not the official 3,000.
	if got := pageEval[string](s, `document.getElementById("train-steps").value`); got != "300" {
		t.Errorf("New subject steps start at %q, want the model's 300", got)
	}
	newWord := func() string {
		return pageEval[string](s, `(() => { const s = document.getElementById("new-word");
			return [...s.options].map(o => o.value).join(",") + " = " + s.value; })()`)
	}
	if got := newWord(); got != "red circle,blue square = red circle" {
		t.Errorf("new boxes are for %q, want the example's phrases, the first chosen", got)
	}
	// The list follows the prompt as it is typed, key by key: its phrases, found by the
	// tokenizer, replace the old ones (none left behind); the person's pick is shown whenever
	// the prompt has it (typing it anew takes it away for a few keys) and not while it has not.
	s.selectOption("#new-word", "blue square")
	for _, c := range []struct{ prompt, want string }{
		{"a green triangle next to a blue square", "green triangle,blue square = blue square"},
		{"a red circle", "red circle = red circle"},
		{defaultModelPrompt, "red circle,blue square = blue square"},
	} {
		s.typeInto("prompt", c.prompt)
		if got := newWord(); got != c.want {
			t.Errorf("prompt %q: new boxes are for %q, want %q", c.prompt, got, c.want)
		}
	}
	for _, req := range s.missing.list() {
		if strings.Contains(req, "/model/") {
			t.Errorf("the page asked for a model file the manifest does not list: %s", req)
		}
	}
	// The size fields follow the model: its native 32 px, in steps of 8 (VAE factor 4, two UNet
	// levels).
	if got := pageEval[string](s, `["width", "height"].map(id => { const f = document.getElementById(id);
		return f.value + "/" + f.step + "/" + f.min; }).join(" ")`); got != "32/8/8 32/8/8" {
		t.Errorf("size fields (value/step/min) %q, want the model's 32/8/8", got)
	}

	s.upload("layout-import", s.writeFile("layout.json", []byte(defaultModelLayout)))
	s.waitText("layout-message", "Imported layout.json: 2 boxes")
	s.typeInto("seed", "3")
	// Once loaded, the page compiles what a first picture runs in the background and says so.
	s.waitText("upload-text", "kernels compiled for a first picture")
	s.click("#generate-start")
	s.waitForWithin(`["Done", "Failed"].some(w => document.getElementById("step-text").textContent.includes(w))`,
		"the generation to end", 10*time.Minute)
	if got := s.text("step-text"); !strings.Contains(got, "Done: 20 steps") {
		t.Fatalf("generation ended with %q; the page says %q", got, s.text("settings-message"))
	}
	if s.galleryCount() != 1 {
		t.Fatalf("%d images in the gallery after one generation", s.galleryCount())
	}
	s.screenshot() // the page after a generation, for the README

	name := pageEval[string](s, `document.querySelector("#gallery-list li a[download]").download`)
	s.click("#gallery-list li a[download]")
	file := s.downloaded(name)
	set, err := settings.FromPNG(file)
	if err != nil {
		t.Fatalf("downloaded %s: %v", name, err)
	}
	got, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := cpuGenerate(t, model, set)
	within, worst := comparePixels(got, want)
	t.Logf("%s, seed %d, %d steps at %d×%d: %.2f%% of channels within 2 levels of the CPU engine's, largest difference %d",
		set.Prompt, set.Seed, set.Steps, set.Width, set.Height, 100*within, worst)
	if within < 0.99 {
		t.Errorf("only %.2f%% of channels within 2 levels of the CPU engine's image (largest difference %d)", 100*within, worst)
	}
	reuseSettings(s, filepath.Join(s.dlDir, name), set)
}

// cpuGenerate makes the picture the page's settings describe on the server engine.
// modelWithSettings copies the model folder dir (its manifest left out), adds a cones.json
// holding js and writes the copy's manifest, as `weights convert` would: the server then
// serves the file and the manifest lists it.
func modelWithSettings(t *testing.T, dir, js string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "model")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(out, rel), 0o755)
		}
		if rel == weights.ManifestName || rel == weights.RecommendedName {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", dir, err)
	}
	if err := os.WriteFile(filepath.Join(out, weights.RecommendedName), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := weights.BuildManifest(os.DirFS(out))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, weights.ManifestName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func cpuGenerate(t *testing.T, model string, set settings.Settings) *generate.Result {
	t.Helper()
	backend, err := sd.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sd.Load(model, backend)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(model, weights.TokenizerDir))
	if err != nil {
		t.Fatal(err)
	}
	l, err := settings.JoinLayout(set.Layout, set.Regions)
	if err != nil {
		t.Fatalf("layout in the PNG: %v", err)
	}
	g := &generate.Generator{Pipeline: p, Tokenizer: tok}
	res, err := g.Generate(context.Background(), generate.Request{Layout: l, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// comparePixels returns the share of RGB channels within 2 levels of want's and the largest
// difference.
func comparePixels(got image.Image, want *generate.Result) (within float64, worst int) {
	w, h := want.Settings.Width, want.Settings.Height
	if b := got.Bounds(); b.Dx() != w || b.Dy() != h {
		return 0, 255
	}
	n := 0
	for y := range h {
		for x := range w {
			r, g, b, _ := got.At(x, y).RGBA()
			for c, v := range [3]uint32{r >> 8, g >> 8, b >> 8} {
				d := int(v) - int(want.Pixels[3*(y*w+x)+c])
				d = max(d, -d)
				worst = max(worst, d)
				if d <= 2 {
					n++
				}
			}
		}
	}
	return float64(n) / float64(3*w*h), worst
}
