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

func describeFixture(t *testing.T, v fixture.Variant) *Model {
	t.Helper()
	f, err := Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestUNetStructure checks the wiring facts engines rely on: skip connections consumed in
// order, samplers where diffusers puts them, epsilons and scales.
func TestUNetStructure(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		u := describeFixture(t, v).UNet
		skips := u.SkipChannels()
		for i, b := range u.Up {
			for j, r := range b.Resnets {
				want := skips[len(skips)-1]
				skips = skips[:len(skips)-1]
				if r.Skip != want || r.In != r.Skip+map[bool]int{true: b.In, false: b.Out}[j == 0] {
					t.Errorf("%s %s: in %d skip %d, want skip %d", v.Name, r.Name, r.In, r.Skip, want)
				}
			}
			if (b.Upsample != nil) != (i < len(u.Up)-1) || b.Downsample != nil {
				t.Errorf("%s %s: samplers %v %v", v.Name, b.Name, b.Upsample, b.Downsample)
			}
		}
		if len(skips) != 0 {
			t.Errorf("%s: %d skips left over", v.Name, len(skips))
		}
		for i, b := range u.Down {
			if (b.Downsample != nil) != (i < len(u.Down)-1) {
				t.Errorf("%s %s: downsampler %v", v.Name, b.Name, b.Downsample)
			}
			if d := b.Downsample; d != nil && (d.Stride != 2 || d.Pad != Same(1) || d.OutSize(16) != 8) {
				t.Errorf("%s %s: downsampler %+v", v.Name, b.Name, *d)
			}
			if b.HasAttention() != (b.Type == "CrossAttnDownBlock2D") {
				t.Errorf("%s %s: attention %v", v.Name, b.Name, b.HasAttention())
			}
		}
		for _, tr := range u.Transformers() {
			tb := tr.Blocks[0]
			if tr.Norm.Eps != 1e-6 || tb.Norm1.Eps != 1e-5 || tb.Attn1.Cross || !tb.Attn2.Cross ||
				tb.Attn2.K.In != u.Config.CrossAttentionDim || tb.Attn1.K.In != tr.Channels {
				t.Errorf("%s %s: %+v", v.Name, tr.Name, tb.Attn2)
			}
		}
		r := u.Down[0].Resnets[0]
		if r.Norm1.Eps != u.Config.NormEps || r.TimeEmbProj == nil || r.TimeEmbProj.In != u.TimeEmbedDim() || r.Shortcut != nil {
			t.Errorf("%s %s: %+v", v.Name, r.Name, r)
		}
		if u.Down[1].Resnets[0].Shortcut == nil || u.Mid.Resnets[0].OutputScale != u.Config.MidBlockScale {
			t.Errorf("%s: shortcut or mid scale wrong", v.Name)
		}
		if u.TimeEmbedDim() != 4*u.Config.BlockOutChannels[0] || u.DownsampleFactor() != 1<<(len(u.Down)-1) {
			t.Errorf("%s: time embedding %d, factor %d", v.Name, u.TimeEmbedDim(), u.DownsampleFactor())
		}
	}
}

func TestVAEStructure(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		vae := describeFixture(t, v).VAE
		size := 128
		for i, b := range vae.Encoder.Down {
			d := b.Downsample
			if i == len(vae.Encoder.Down)-1 {
				if d != nil {
					t.Errorf("%s: last encoder block downsamples", v.Name)
				}
				continue
			}
			if d.Pad != (Padding{Top: 0, Bottom: 1, Left: 0, Right: 1}) || d.Pad.Symmetric() || d.Stride != 2 {
				t.Errorf("%s %s: %+v", v.Name, d.Name, *d)
			}
			size = d.OutSize(size)
		}
		if size*vae.DownsampleFactor() != 128 {
			t.Errorf("%s: 128 px encodes to %d, factor %d", v.Name, size, vae.DownsampleFactor())
		}
		for i, b := range vae.Decoder.Up {
			if len(b.Resnets) != vae.Config.LayersPerBlock+1 || (b.Upsample != nil) != (i < len(vae.Decoder.Up)-1) {
				t.Errorf("%s %s: %d resnets, upsample %v", v.Name, b.Name, len(b.Resnets), b.Upsample)
			}
		}
		for _, mid := range []VAEMidBlock{vae.Encoder.Mid, vae.Decoder.Mid} {
			a := mid.Attentions[0]
			if a.Attn.Heads != 1 || a.Attn.HeadDim != mid.Channels || a.Norm.Eps != 1e-6 || mid.Resnets[0].TimeEmbProj != nil {
				t.Errorf("%s %s: %+v", v.Name, a.Name, a.Attn)
			}
		}
		scale, ok := v.VAEScaling(t)
		if !ok {
			scale = DefaultScalingFactor
		}
		if vae.Encoder.ConvOut.Out != 2*vae.LatentChannels || vae.QuantConv.Kernel != 1 || vae.ScalingFactor != scale {
			t.Errorf("%s: encoder out %d, quant conv %+v, scaling %g (vae/config.json: %g)", v.Name, vae.Encoder.ConvOut.Out, vae.QuantConv, vae.ScalingFactor, scale)
		}
	}
}

func TestTextEncoderStructure(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		te := describeFixture(t, v).TextEncoder
		c := te.Config
		if len(te.Layers) != c.NumHiddenLayers || te.Width() != c.HiddenSize {
			t.Fatalf("%s: %d layers", v.Name, len(te.Layers))
		}
		a := te.Layers[0].Attn
		if !a.Causal || a.Cross || a.Heads*a.HeadDim != c.HiddenSize || !a.Q.Bias || te.Layers[0].Act != c.HiddenAct {
			t.Errorf("%s: %+v", v.Name, a)
		}
		if !te.PositionIDs.Optional || te.PositionIDs.DType != I64 {
			t.Errorf("%s: position ids %+v", v.Name, te.PositionIDs)
		}
	}
}
