package weights

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// readKeyTSV reads one of the fixtures' tensor-keys/*.tsv files: name, dtype, shape per line.
func readKeyTSV(t *testing.T, rel string) map[string]string {
	t.Helper()
	f, err := os.Open(fixture.External(t, filepath.Join("sd21-configs", "tensor-keys", rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("%s: bad line %q", rel, line)
		}
		out[parts[0]] = parts[1] + " " + parts[2]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func paramKeys(ps []Param) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		dims := make([]string, len(p.Shape))
		for i, d := range p.Shape {
			dims[i] = fmt.Sprint(d)
		}
		out[p.Name] = fmt.Sprintf("%s [%s]", p.DType, strings.Join(dims, ", "))
	}
	return out
}

// diffKeys reports names present on one side only and names whose dtype/shape differ.
func diffKeys(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var problems []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, "missing "+k+" "+w)
		case g != w:
			problems = append(problems, fmt.Sprintf("%s: got %s, want %s", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, "unexpected "+k+" "+g)
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		t.Errorf("%s: %d differences, first: %s", what, len(problems), strings.Join(problems[:min(10, len(problems))], "; "))
	}
}

func readConfigFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRealKeySets proves that the description expects exactly the tensors of the real SD 2.1
// and 2.1-base checkpoints: same names, dtypes and shapes, nothing more, nothing less.
func TestRealKeySets(t *testing.T) {
	for _, model := range []string{"stable-diffusion-2-1", "stable-diffusion-2-1-base"} {
		t.Run(model, func(t *testing.T) {
			dir := fixture.External(t, filepath.Join("sd21-configs", model))
			tec, err := ParseTextEncoderConfig(readConfigFile(t, filepath.Join(dir, "text_encoder", "config.json")))
			if err != nil {
				t.Fatal(err)
			}
			uc, err := ParseUNetConfig(readConfigFile(t, filepath.Join(dir, "unet", "config.json")))
			if err != nil {
				t.Fatal(err)
			}
			vc, err := ParseVAEConfig(readConfigFile(t, filepath.Join(dir, "vae", "config.json")))
			if err != nil {
				t.Fatal(err)
			}
			te, err := DescribeTextEncoder(tec)
			if err != nil {
				t.Fatal(err)
			}
			u, err := DescribeUNet(uc)
			if err != nil {
				t.Fatal(err)
			}
			v, err := DescribeVAE(vc)
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				file  string
				m     Module
				count int
			}{
				{"text_encoder_model.safetensors.tsv", te, 373},
				{"unet_diffusion_pytorch_model.safetensors.tsv", u, 686},
				{"vae_diffusion_pytorch_model.safetensors.tsv", v, 248},
			}
			for _, c := range cases {
				want := readKeyTSV(t, c.file)
				got := paramKeys(c.m.Params())
				if len(want) != c.count || len(got) != c.count {
					t.Errorf("%s: %d tensors in the file, %d described, want %d", c.file, len(want), len(got), c.count)
				}
				diffKeys(t, c.file, got, want)
			}
		})
	}
}
