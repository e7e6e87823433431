package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// writePhotos writes n small PNG photos into dir and returns their paths.
func writePhotos(t *testing.T, dir string, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 80, 96))
		for y := range 96 {
			for x := range 80 {
				img.Set(x, y, color.RGBA{uint8(3 * x), uint8(2*y + 40*i), uint8(60 * i), 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("p%d.png", i))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// fixtureModel is what residuals trained on the fixture must name.
func fixtureModel(t *testing.T, dir string) (residual.Model, int) {
	t.Helper()
	f, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Weights(weights.TextEncoderDir)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := w.Fingerprint(m.TextEncoder)
	if err != nil {
		t.Fatal(err)
	}
	return residual.Model{Family: weights.ModelFamily(f.TextEncoder), TextEncoder: fp}, m.TextEncoder.Width()
}

func TestTrainCommand(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	photos := filepath.Join(dir, "photos")
	os.Mkdir(photos, 0o755)
	writePhotos(t, photos, 3)
	os.WriteFile(filepath.Join(photos, "notes.txt"), []byte("not a photo"), 0o644) // skipped in a folder
	out := filepath.Join(dir, "dog.safetensors")
	if err := run([]string{"train", "-model", v.Dir, "-word", "dog", "-steps", "2", "-resolution", "64", "-lr", "1e-3",
		"-seed", "5", "-sentences", "varied", "-out", out, photos}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	model, width := fixtureModel(t, v.Dir)
	r, err := residual.Load(data, model, width)
	if err != nil {
		t.Fatal(err)
	}
	if r.Word != "dog" || r.Training["steps"] != "2" || r.Training["seed"] != "5" || r.Training["sentences"] != "varied" ||
		r.Training["sentences_count"] != "1000" || r.Training["images"] != "3" {
		t.Errorf("residual %q, settings %v", r.Word, r.Training)
	}
}

func TestTrainCommandErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	photos := writePhotos(t, dir, 3)
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("this is not a PNG"), 0o644)
	out := filepath.Join(dir, "x.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-word", "dog", "-out", out, photos[0]}, "-model is required"},
		{[]string{"-model", v.Dir, "-out", out, photos[0]}, "-word is required"},
		{[]string{"-model", v.Dir, "-word", "dog", photos[0]}, "-out is required"},
		{[]string{"-model", v.Dir, "-word", "dog", "-out", out}, "no photos"},
		{[]string{"-model", v.Dir, "-word", "dog", "-out", out, "-steps", "0", photos[0]}, "steps"},
		{[]string{"-model", v.Dir, "-word", "dog", "-out", out, "-resolution", "64", photos[0], bad}, "bad.png"},
		{[]string{"-model", v.Dir, "-word", "two words", "-out", out, "-resolution", "64", photos[0]}, "not one word"},
		{[]string{"-model", v.Dir, "-word", "dog", "-out", out, filepath.Join(dir, "missing.png")}, "missing.png"},
		// The fixture folder has no cones.json, so no sentences of its own: refused before training.
		{[]string{"-model", v.Dir, "-word", "dog", "-out", out, "-sentences", "model", photos[0]}, "recommends no sentences"},
	} {
		err := runTrain(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error saying %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed run wrote the output")
	}
}

// TestTrainCommandResume: a checkpoint left by an interrupted run is picked up by the same
// command, which finishes the remaining steps and removes it.
func TestTrainCommandResume(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	photos := writePhotos(t, dir, 3)
	ckpt, out := filepath.Join(dir, "state.safetensors"), filepath.Join(dir, "dog.safetensors")
	args := append([]string{"-model", v.Dir, "-word", "dog", "-steps", "2", "-resolution", "64", "-checkpoint", ckpt, "-out", out}, photos...)
	f, err := parseTrainFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.options(weights.OfficialRecommended())
	if err != nil {
		t.Fatal(err)
	}
	b, err := sd.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sd.Load(v.Dir, b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(v.Dir, "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	newTrainer := func() *subject.Trainer {
		images, err := loadPhotos(photos, 64)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := subject.New(p, tok, "dog", images, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		return tr
	}
	first := newTrainer()
	if _, err := first.Step(); err != nil {
		t.Fatal(err)
	}
	if err := saveCheckpoint(first, ckpt); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := trainAndWrite(context.Background(), f, newTrainer(), &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "at step 1") || !strings.Contains(log.String(), "step 2/2") {
		t.Errorf("log %q", log.String())
	}
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Error("the checkpoint was left behind")
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

// The training flags default to the model folder's cones.json (steps, learning rate, weights and
// its own sentences); flags given still win.
func TestTrainCommandModelDefaults(t *testing.T) {
	v := fixture.Variants(t)[0]
	model := fixture.WithSettings(t, v.Dir, recommendedJSON)
	dir := t.TempDir()
	photos := writePhotos(t, dir, 3)
	out := filepath.Join(dir, "dog.safetensors")
	modelID, width := fixtureModel(t, v.Dir)
	trained := func(args ...string) map[string]string {
		t.Helper()
		if err := runTrain(append(append([]string{"-model", model, "-word", "dog", "-resolution", "64", "-out", out}, args...), photos...)); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		r, err := residual.Load(data, modelID, width)
		if err != nil {
			t.Fatal(err)
		}
		return r.Training
	}
	got := trained()
	for k, want := range map[string]string{"steps": "2", "lr": "0.002", "first_weight": "0.5", "second_weight": "0.25",
		"sentences": "model", "sentences_count": "2"} {
		if got[k] != want {
			t.Errorf("with the model's defaults: %s = %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
	got = trained("-steps", "1", "-lr", "1e-3", "-first-weight", "0", "-second-weight", "0.125", "-sentences", "official")
	for k, want := range map[string]string{"steps": "1", "lr": "0.001", "first_weight": "0", "second_weight": "0.125",
		"sentences": "official", "sentences_count": "27"} {
		if got[k] != want {
			t.Errorf("with flags: %s = %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
}
