package weights

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
)

func writeTiny(t *testing.T, opt TinyOptions) (string, *Manifest) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tiny")
	m, err := WriteTiny(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// TestTinyMatchesFixtures checks that the tiny model made like each fixture folder verifies,
// loads, has the folder's tensor names and shapes (apart from the vocabulary rows), its
// variant settings and scheduler, and a working tokenizer with the folder's pad token whose
// size is the text encoder's vocabulary.
func TestTinyMatchesFixtures(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			dir, _ := writeTiny(t, TinyOptions{Seed: 1, Like: v.Dir})
			tiny, ref := checkTinyLike(t, dir, v.Dir)
			if tiny.TextEncoder.HiddenAct != ref.TextEncoder.HiddenAct || tiny.UNet.UseLinearProjection != ref.UNet.UseLinearProjection ||
				!bytes.Equal(tiny.SchedulerConfig, ref.SchedulerConfig) {
				t.Errorf("variant settings differ from the fixture's")
			}
		})
	}
}

// TestTinyNamedVariants: each named variant mirrors the fixture folder of its name (the
// shared folders), so the CLI's -variant gives the fixtures' architectures.
func TestTinyNamedVariants(t *testing.T) {
	found := 0
	for _, v := range fixture.Variants(t) {
		if v.Name != TinySD21Base && v.Name != TinySD15 {
			continue
		}
		found++
		t.Run(v.Name, func(t *testing.T) {
			dir, _ := writeTiny(t, TinyOptions{Seed: 1, Variant: v.Name})
			tiny, ref := checkTinyLike(t, dir, v.Dir)
			if tiny.TextEncoder.HiddenAct != ref.TextEncoder.HiddenAct || tiny.UNet.UseLinearProjection != ref.UNet.UseLinearProjection {
				t.Errorf("variant settings differ from the fixture's")
			}
		})
	}
	if found == 0 {
		t.Skipf("no fixture folder named %s or %s", TinySD21Base, TinySD15)
	}
}

// checkTinyLike checks the tiny model in dir against the model folder it mirrors: it verifies,
// loads, has the same tensor names and shapes apart from the vocabulary rows, and a tokenizer
// with the folder's pad token whose size is the text encoder's vocabulary.
func checkTinyLike(t *testing.T, dir, refDir string) (tiny, ref *Folder) {
	t.Helper()
	if errs := Verify(dir); errs != nil {
		t.Fatalf("verify: %v", errs)
	}
	tiny, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ref, err = Open(refDir); err != nil {
		t.Fatal(err)
	}
	tm, err := tiny.Describe()
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := ref.Describe()
	for _, comp := range Components() {
		a, _ := tm.Module(comp)
		b, _ := rm.Module(comp)
		got, want := paramKeys(a.Params()), paramKeys(b.Params())
		if comp == TextEncoderDir {
			name := tm.TextEncoder.TokenEmbedding.Name + ".weight"
			got[name], want[name] = "vocabulary rows", "vocabulary rows"
		}
		diffKeys(t, comp, got, want)
		w, _ := tiny.Weights(comp)
		if _, err := w.LoadFloat32(a); err != nil {
			t.Error(err)
		}
	}
	tok, err := tokenizer.Load(filepath.Join(dir, TokenizerDir))
	if err != nil {
		t.Fatal(err)
	}
	refTok, err := tokenizer.Load(filepath.Join(refDir, TokenizerDir))
	if err != nil {
		t.Fatal(err)
	}
	c := tiny.TextEncoder
	if tok.Len() != c.VocabSize || c.VocabSize < 600 || c.VocabSize > TinyVocabSize {
		t.Errorf("tokenizer %d tokens, text encoder vocab %d", tok.Len(), c.VocabSize)
	}
	ids := tok.Encode("a photo of a dog")
	if len(ids) < 3 || len(ids) > 8 || ids[0] != c.BosTokenID || ids[len(ids)-1] != c.EosTokenID {
		t.Errorf("ids %v (bos %d, eos %d)", ids, c.BosTokenID, c.EosTokenID)
	}
	if got, want := tok.Specials().Pad, refTok.Specials().Pad; got != want {
		t.Errorf("pad %q, want the folder's %q", got, want)
	}
	return tiny, ref
}

// TestTinyDeterministic: the same seed gives the same bytes, another seed other weights.
func TestTinyDeterministic(t *testing.T) {
	_, a := writeTiny(t, TinyOptions{Seed: 7})
	_, b := writeTiny(t, TinyOptions{Seed: 7})
	_, c := writeTiny(t, TinyOptions{Seed: 8})
	if !slices.EqualFunc(a.Files, b.Files, func(x, y ManifestFile) bool { return x.Path == y.Path && x.SHA256 == y.SHA256 }) {
		t.Fatal("same seed, different files")
	}
	for i, f := range a.Files {
		differs := f.SHA256 != c.Files[i].SHA256
		if differs != f.IsSafetensors() {
			t.Errorf("%s: differs across seeds %v", f.Path, differs)
		}
	}
}

// TestTinyInit checks the initialisation rule that keeps activations O(1): every weight's
// spread matches 1/sqrt(fan_in) (half that on residual outputs), norms sit near 1, biases
// near 0.
func TestTinyInit(t *testing.T) {
	dir, _ := writeTiny(t, TinyOptions{Seed: 3, Float32: true})
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.Describe()
	for _, comp := range Components() {
		mod, _ := m.Module(comp)
		w, _ := f.Weights(comp)
		if w.Files[0].Tensors[0].DType != F32 {
			t.Fatalf("%s: Float32 option wrote %s", comp, w.Files[0].Tensors[0].DType)
		}
		ts, err := w.LoadFloat32(mod)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range mod.Params() {
			x, ok := ts[p.Name]
			if !ok || len(x.Data) < 256 && len(p.Shape) > 1 {
				continue
			}
			mean, std := moments(x.Data)
			wantMean, wantStd := initMoments(p)
			if len(p.Shape) == 1 {
				// Too few values for a spread test: check the range instead.
				for _, v := range x.Data {
					if math.Abs(float64(v)-wantMean) > 3.5*wantStd {
						t.Fatalf("%s: %g outside %g ± %g", p.Name, v, wantMean, 3.5*wantStd)
					}
				}
				continue
			}
			if math.Abs(mean-wantMean) > 0.2*wantStd || math.Abs(std/wantStd-1) > 0.2 {
				t.Errorf("%s: mean %.3g std %.3g, want %.3g, %.3g", p.Name, mean, std, wantMean, wantStd)
			}
		}
	}
	if _, std := initMoments(Param{Name: "a.conv2.weight", Shape: []int{8, 4, 3, 3}}); math.Abs(std-0.5/6) > 1e-12 {
		t.Errorf("residual output std %g, want %g", std, 0.5/6)
	}
}

func moments(xs []float32) (mean, std float64) {
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// TestFolderExtraFiles: files a pipeline folder may carry that this project does not use
// (README, safety checker, feature extractor, a .bin pickle beside the safetensors) neither
// break loading nor travel into a converted folder.
func TestFolderExtraFiles(t *testing.T) {
	src, _ := writeTiny(t, TinyOptions{Seed: 1, Float32: true})
	os.Remove(filepath.Join(src, ManifestName))
	extras := []string{"README.md", "safety_checker/config.json", "feature_extractor/preprocessor_config.json", "unet/diffusion_pytorch_model.bin"}
	for _, e := range extras {
		if err := writeFile(filepath.Join(src, e), []byte("not for us")); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "out")
	m, err := Convert(src, dst, ConvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extras {
		if _, ok := m.File(e); ok {
			t.Errorf("%s was copied", e)
		}
	}
	if errs := Verify(dst); errs != nil {
		t.Fatal(errs)
	}
}

// TestFolderErrors breaks a model folder one way per case; opening or loading must fail with
// an error naming the file.
func TestFolderErrors(t *testing.T) {
	base, _ := writeTiny(t, TinyOptions{Seed: 1})
	cases := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"missing unet config", func(d string) error { return os.Remove(filepath.Join(d, "unet/config.json")) }, "unet/config.json"},
		{"bad unet config", func(d string) error {
			return os.WriteFile(filepath.Join(d, "unet/config.json"), []byte(`{"act_fn":"gelu"}`), 0o644)
		}, "unet/config.json: act_fn"},
		{"bad scheduler", func(d string) error {
			return os.WriteFile(filepath.Join(d, "scheduler/scheduler_config.json"), []byte(`{"prediction_type":"x"}`), 0o644)
		}, "scheduler/scheduler_config.json"},
		{"missing weights", func(d string) error { return os.Remove(filepath.Join(d, "vae/diffusion_pytorch_model.safetensors")) }, "no vae/diffusion_pytorch_model.safetensors"},
		{"pickle only", func(d string) error {
			return os.Rename(filepath.Join(d, "vae/diffusion_pytorch_model.safetensors"), filepath.Join(d, "vae/diffusion_pytorch_model.bin"))
		}, "PyTorch pickle"},
		{"truncated weights", func(d string) error {
			return os.Truncate(filepath.Join(d, "vae/diffusion_pytorch_model.safetensors"), 5000)
		}, "vae/diffusion_pytorch_model.safetensors"},
		{"single and sharded", func(d string) error {
			return os.WriteFile(filepath.Join(d, "vae/diffusion_pytorch_model.safetensors.index.json"), []byte(`{"weight_map":{}}`), 0o644)
		}, "keep one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(dir); err != nil {
				t.Fatal(err)
			}
			err := openAndLoad(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func openAndLoad(dir string) error {
	f, err := Open(dir)
	if err != nil {
		return err
	}
	m, err := f.Describe()
	if err != nil {
		return err
	}
	for _, comp := range Components() {
		mod, _ := m.Module(comp)
		w, err := f.Weights(comp)
		if err != nil {
			return err
		}
		if _, err := w.LoadFloat32(mod); err != nil {
			return err
		}
	}
	return nil
}

// TestShardIndexErrors checks that a shard index must agree with its shards.
func TestShardIndexErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	base, _ := convertFixture(t, v)
	idx := "unet/diffusion_pytorch_model.safetensors.index.json"
	cases := []struct {
		name, from, to, want string
	}{
		{"tensor in wrong shard", `"conv_in.bias": "diffusion_pytorch_model-00001-of-00002.safetensors"`, `"conv_in.bias": "diffusion_pytorch_model-00002-of-00002.safetensors"`, "conv_in.bias"},
		{"path escape", `"conv_in.bias": "diffusion_pytorch_model-00001-of-00002.safetensors"`, `"conv_in.bias": "../x.safetensors"`, "not a .safetensors file name"},
		{"not json", `{`, `[`, idx},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, idx)
			data, _ := os.ReadFile(p)
			if !bytes.Contains(data, []byte(c.from)) {
				t.Fatalf("index lacks %s", c.from)
			}
			os.WriteFile(p, bytes.Replace(data, []byte(c.from), []byte(c.to), 1), 0o644)
			if err := openAndLoad(dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}
