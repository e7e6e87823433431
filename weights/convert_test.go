package weights

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/x448/float16"
)

// shardLimit forces the fixture UNet (4.3 MB in F16) into two shards; the 3.2 MB token embedding still fits.
const shardLimit = 7 << 19

// convertFixture converts one fixture model into a temporary folder.
func convertFixture(t *testing.T, v fixture.Variant) (string, *Manifest) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "served")
	m, err := Convert(v.Dir, dst, ConvertOptions{MaxShardBytes: shardLimit})
	if err != nil {
		t.Fatal(err)
	}
	return dst, m
}

// TestConvertFixtures converts every fixture model and checks the result: configs copied byte
// for byte, every weight equal to the source rounded to float16, the UNet sharded, no file over
// the limit, the manifest complete, Verify clean, and the text encoder fingerprint unchanged.
func TestConvertFixtures(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			dst, m := convertFixture(t, v)
			if errs := Verify(dst); errs != nil {
				t.Fatalf("verify: %v", errs)
			}
			for _, f := range m.Files {
				if f.Size > shardLimit {
					t.Errorf("%s: %d bytes over the limit", f.Path, f.Size)
				}
				if strings.HasSuffix(f.Path, ".json") || strings.HasPrefix(f.Path, "tokenizer/") {
					got, _ := os.ReadFile(filepath.Join(dst, f.Path))
					want, err := os.ReadFile(filepath.Join(v.Dir, f.Path))
					if err != nil && !strings.HasSuffix(f.Path, ".index.json") {
						t.Errorf("%s: not in the source: %v", f.Path, err)
					} else if err == nil && !bytes.Equal(got, want) {
						t.Errorf("%s: differs from the source", f.Path)
					}
				}
			}
			if _, ok := m.File("unet/diffusion_pytorch_model.safetensors.index.json"); !ok {
				t.Error("unet not sharded")
			}
			if _, ok := m.File("unet/diffusion_pytorch_model-00001-of-00002.safetensors"); !ok {
				t.Errorf("no first shard among %d files", len(m.Files))
			}
			src, _ := Open(v.Dir)
			out, err := Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			model, _ := src.Describe()
			for _, comp := range Components() {
				mod, _ := model.Module(comp)
				sw, _ := src.Weights(comp)
				dw, err := out.Weights(comp)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range dw.Files {
					for _, ti := range h.Tensors {
						if ti.DType != F16 {
							t.Fatalf("%s %s: dtype %s", h.File, ti.Name, ti.DType)
						}
					}
				}
				want, err := sw.LoadFloat32(mod)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dw.LoadFloat32(mod)
				if err != nil {
					t.Fatal(err)
				}
				for name, w := range want {
					g := got[name].Data
					for i, x := range w.Data {
						if r := float16.Fromfloat32(x).Float32(); g[i] != r {
							t.Fatalf("%s[%d] = %g, want %g (fp16 of %g)", name, i, g[i], r, x)
						}
					}
				}
			}
			te := model.TextEncoder
			sw, _ := src.Weights(TextEncoderDir)
			dw, _ := out.Weights(TextEncoderDir)
			fs, err := sw.Fingerprint(te)
			if err != nil {
				t.Fatal(err)
			}
			fd, err := dw.Fingerprint(te)
			if err != nil || fs != fd || len(fs) != 16 {
				t.Errorf("fingerprint %q (fp32) vs %q (fp16), %v", fs, fd, err)
			}
		})
	}
}

// TestConvertRefusesBadOutput checks the output folder rule and a tensor above the limit.
func TestConvertRefusesBadOutput(t *testing.T) {
	v := fixture.Variants(t)[0]
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "x"), nil, 0o644)
	if _, err := Convert(v.Dir, dst, ConvertOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty output: %v", err)
	}
	_, err := Convert(v.Dir, filepath.Join(t.TempDir(), "o"), ConvertOptions{MaxShardBytes: 64 << 10})
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("tensor over the limit: %v", err)
	}
}

// TestVerifyFindsProblems damages a converted folder in one way per case; Verify must name it.
func TestVerifyFindsProblems(t *testing.T) {
	v := fixture.Variants(t)[0]
	base, _ := convertFixture(t, v)
	shard := "unet/diffusion_pytorch_model-00002-of-00002.safetensors"
	cases := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"flipped byte", func(dir string) error {
			p := filepath.Join(dir, shard)
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "sha256"},
		{"truncated", func(dir string) error { return os.Truncate(filepath.Join(dir, shard), 1000) }, "bytes, manifest says"},
		{"missing file", func(dir string) error { return os.Remove(filepath.Join(dir, "vae/config.json")) }, "vae/config.json"},
		{"extra file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "unet", "notes.txt"), []byte("hi"), 0o644)
		}, "unet/notes.txt: not listed"},
		{"no manifest", func(dir string) error { return os.Remove(filepath.Join(dir, ManifestName)) }, ManifestName},
		{"config shape mismatch", func(dir string) error {
			p := filepath.Join(dir, "unet", "config.json")
			b, _ := os.ReadFile(p)
			b = bytes.Replace(b, []byte(`"cross_attention_dim": 32`), []byte(`"cross_attention_dim": 48`), 1)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
			_, err := WriteManifest(dir) // a consistent manifest: only the shapes are wrong
			return err
		}, "attn2.to_k.weight: shape [32 32], want [32 48]"},
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
			errs := Verify(dir)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), c.want) {
				t.Fatalf("problems %q, want one with %q", msgs, c.want)
			}
		})
	}
}

func TestManifestRoundTrip(t *testing.T) {
	v := fixture.Variants(t)[0]
	dst, m := convertFixture(t, v)
	data, err := os.ReadFile(filepath.Join(dst, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Files) != len(m.Files) {
		t.Fatalf("%d files back, %d written", len(back.Files), len(m.Files))
	}
	hs, err := back.Weights(UNetDir)
	if err != nil || len(hs) != 2 {
		t.Fatalf("unet headers %d, %v", len(hs), err)
	}
	for _, bad := range []struct{ from, to, want string }{
		{`"version":1`, `"version":2`, "version 2"},
		{`"path":"model_index.json"`, `"path":"../model_index.json"`, "not a relative"},
		{`"sha256":"`, `"sha256":"zz`, "not 64 hex"},
		{`"range":[`, `"range":[1`, "range"},
		{`"version":1`, `"version":1,"extra":0`, "unknown field"},
	} {
		broken := strings.Replace(string(data), bad.from, bad.to, 1)
		if _, err := ParseManifest([]byte(broken)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s -> %s: %v", bad.from, bad.to, err)
		}
	}
}

// TestStreamingPlan follows the browser's path: parse manifest.json, bind each description to
// the manifest's tensor tables, fetch every parameter's byte range on its own (here with
// ReadAt on the file) and decode it; the values must equal native loading of the same folder.
func TestStreamingPlan(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		dst, _ := convertFixture(t, v)
		data, _ := os.ReadFile(filepath.Join(dst, ManifestName))
		man, err := ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := Open(dst)
		model, _ := f.Describe()
		for _, comp := range Components() {
			mod, _ := model.Module(comp)
			hs, err := man.Weights(comp)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Bind(mod, hs)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := f.Weights(comp)
			native, err := w.LoadFloat32(mod)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range plan.Sources {
				file, err := os.Open(filepath.Join(dst, s.File))
				if err != nil {
					t.Fatal(err)
				}
				raw := make([]byte, s.Tensor.End-s.Tensor.Begin)
				_, err = file.ReadAt(raw, s.Tensor.Begin)
				file.Close()
				if err != nil {
					t.Fatal(err)
				}
				f16, err := EncodeF16(s.Tensor.DType, raw) // what the GPU upload gets
				if err != nil {
					t.Fatal(err)
				}
				vals, _ := DecodeFloat32(F16, f16)
				want := native[s.Param.Name].Data
				if len(vals) != len(want) {
					t.Fatalf("%s: %d values, want %d", s.Param.Name, len(vals), len(want))
				}
				for i := range want {
					if vals[i] != want[i] {
						t.Fatalf("%s[%d]: %g, want %g", s.Param.Name, i, vals[i], want[i])
					}
				}
			}
		}
	}
}

// A source folder's cones.json is served too: the converted folder carries it and its manifest
// lists it, so the page finds the model's settings.
func TestConvertKeepsRecommended(t *testing.T) {
	v := fixture.Variants(t)[0]
	src := t.TempDir()
	entries, err := os.ReadDir(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		abs, err := filepath.Abs(filepath.Join(v.Dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(src, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	js := []byte(`{"format": "cones2-model-settings/1", "sampling": {"steps": 20, "guided_steps": 20}}`)
	if err := os.WriteFile(filepath.Join(src, RecommendedName), js, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	m, err := Convert(src, dst, ConvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.File(RecommendedName); !ok {
		t.Errorf("the manifest does not list %s", RecommendedName)
	}
	f, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	if f.Recommended.Sampling.Steps != 20 {
		t.Errorf("converted folder recommends %+v, want the source's 20 steps", f.Recommended.Sampling)
	}
}
