package gpugraph

import (
	"bufio"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

func describeDir(t *testing.T, dir string) *weights.Model {
	t.Helper()
	f, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func names(ps []weights.Param) []string {
	var out []string
	for _, p := range ps {
		if !p.Optional {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TestGraphsUseEveryParameter checks that the graphs take their weights by the description's
// names and use each parameter exactly once: the whole text encoder and UNet, and the VAE's
// post_quant_conv and decoder.
func TestGraphsUseEveryParameter(t *testing.T) {
	dirs := map[string]string{"sd21-768": fixture.External(t, "sd21-configs/stable-diffusion-2-1")}
	for _, v := range fixture.Variants(t) {
		dirs[v.Name] = v.Dir
	}
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			m := describeDir(t, dir)
			te, err := TextEncoder(m.TextEncoder, TextOptions{Batch: 2, F16: true, Residual: true})
			if err != nil {
				t.Fatal(err)
			}
			un, err := UNet(m.UNet, UNetOptions{Batch: 2, H: 16, W: 16, F16: true, Edit: true, EditBatch: 1, CFG: true})
			if err != nil {
				t.Fatal(err)
			}
			vae, err := VAEDecoder(m.VAE, VAEOptions{H: 8, W: 8, F16: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what string
				g    *Graph
				want []string
			}{
				{"text encoder", te, names(m.TextEncoder.Params())},
				{"unet", un, names(m.UNet.Params())},
				{"vae", vae, names(append(m.VAE.PostQuantConv.Params(), m.VAE.Decoder.Params()...))},
			} {
				shapes := map[string][]int{}
				for _, p := range append(append(m.TextEncoder.Params(), m.UNet.Params()...), m.VAE.Params()...) {
					shapes[p.Name] = p.Shape
				}
				for _, tn := range c.g.Tensors {
					if tn.Kind == Weight && tn.DType != WeightDType(shapes[tn.Param], true) {
						t.Errorf("%s: %s stored as %s, WeightDType says %s", c.what, tn.Param, tn.DType, WeightDType(shapes[tn.Param], true))
					}
				}
				got := c.g.WeightParams()
				slices.Sort(got)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: graph uses %d parameters, description has %d; first differences: %v",
						c.what, len(got), len(c.want), firstDiff(got, c.want))
				}
			}
		})
	}
}

func firstDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "+"+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "-"+x)
		}
	}
	return out[:min(len(out), 5)]
}

// tsvElements sums the elements of the float tensors of a real checkpoint's key list.
func tsvElements(t *testing.T, rel string, keep func(string) bool) uint64 {
	t.Helper()
	f, err := os.Open(fixture.External(t, "sd21-configs/tensor-keys/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if parts[1] == "I64" || !keep(parts[0]) {
			continue
		}
		e := uint64(1)
		for _, d := range strings.Split(strings.Trim(parts[2], "[]"), ",") {
			v, err := strconv.Atoi(strings.TrimSpace(d))
			if err != nil {
				t.Fatal(err)
			}
			e *= uint64(v)
		}
		n += e
	}
	return n
}

// TestPlanSD21 plans Stable Diffusion 2.1-base at 512x512 and 2.1 at 768x768 with f16 weights
// under WebGPU's default 128 MiB binding limit and a typical desktop limit: every buffer must fit
// the limit (the UNet's feed-forward and the VAE split their work where it would not), and the
// peak must fit a 4 GiB GPU.
func TestPlanSD21(t *testing.T) {
	cases := []struct {
		name, dir string
		size      int
		limit     uint64
		tiled     bool
	}{
		{"sd21-base,512,limit=128MiB", "stable-diffusion-2-1-base", 512, 128 << 20, true},
		{"sd21-base,512,limit=2GiB", "stable-diffusion-2-1-base", 512, 2 << 30, false},
		{"sd21,768,limit=128MiB", "stable-diffusion-2-1", 768, 128 << 20, true},
		{"sd21,768,limit=2GiB", "stable-diffusion-2-1", 768, 2 << 30, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := describeDir(t, fixture.External(t, "sd21-configs/"+c.dir))
			mem, err := PlanPipeline(m, PipelineOptions{Width: c.size, Height: c.size, F16: true, Limit: c.limit})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v; unet %.1f GFLOP in %d dispatches, text %.1f GFLOP, vae %.1f GFLOP",
				c.name, mem, mem.UNetFLOPs/1e9, mem.UNetDispatches, mem.TextFLOPs/1e9, mem.VAEFLOPs/1e9)
			if mem.Largest > c.limit {
				t.Errorf("largest buffer %d > limit %d", mem.Largest, c.limit)
			}
			if mem.Peak > 4<<30 {
				t.Errorf("peak %d bytes does not fit a 4 GiB GPU", mem.Peak)
			}
			if mem.Tiles.Whole() == c.tiled {
				t.Errorf("vae tiles: %d, want tiled=%v", len(mem.Tiles.Tiles), c.tiled)
			}
			// f16 weights: two bytes per parameter of the real checkpoints (norms and biases stay f32)
			params := tsvElements(t, "text_encoder_model.safetensors.tsv", func(string) bool { return true }) +
				tsvElements(t, "unet_diffusion_pytorch_model.safetensors.tsv", func(string) bool { return true }) +
				tsvElements(t, "vae_diffusion_pytorch_model.safetensors.tsv", func(k string) bool {
					return strings.HasPrefix(k, "decoder.") || strings.HasPrefix(k, "post_quant_conv.")
				})
			if mem.Weights < 2*params || mem.Weights > 2*params+params/50 {
				t.Errorf("weights %d bytes for %d parameters", mem.Weights, params)
			}
		})
	}
}

// TestPlanTooSmall: a limit no split can meet is a *TooLargeError naming the tensor.
func TestPlanTooSmall(t *testing.T) {
	m := describeDir(t, fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"))
	_, err := PlanPipeline(m, PipelineOptions{Width: 512, Height: 512, F16: true, Limit: 1 << 20})
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err = %v, want *TooLargeError", err)
	}
	if tl.Bytes <= tl.Limit || tl.Tensor == "" {
		t.Errorf("%+v", tl)
	}
}

// TestPlanNoOverlap checks the planner on a real graph: tensors sharing a slot never have
// overlapping lifetimes, and every slot is as large as each tenant.
func TestPlanNoOverlap(t *testing.T) {
	m := describeDir(t, fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"))
	g, err := UNet(m.UNet, UNetOptions{Batch: 2, H: 64, W: 64, F16: true, Edit: true, EditBatch: 1, CFG: true})
	if err != nil {
		t.Fatal(err)
	}
	p := PlanMemory(g)
	life := g.Lifetimes()
	bySlot := map[int][]int{}
	var sum uint64
	for i, s := range p.Slot {
		if s < 0 {
			continue
		}
		if g.Tensors[i].Bytes() > p.Slots[s] {
			t.Fatalf("%s (%d bytes) in slot %d of %d bytes", g.Tensors[i].Name, g.Tensors[i].Bytes(), s, p.Slots[s])
		}
		for _, j := range bySlot[s] {
			a, b := life[i], life[j]
			if a.first <= b.last && b.first <= a.last {
				t.Fatalf("%s and %s share slot %d with overlapping lifetimes %v %v", g.Tensors[i].Name, g.Tensors[j].Name, s, a, b)
			}
		}
		bySlot[s] = append(bySlot[s], i)
		sum += g.Tensors[i].Bytes()
	}
	t.Logf("unet 512x512: %d activations in %d slots, %.0f MiB planned vs %.0f MiB unshared",
		len(p.Slot), len(p.Slots), float64(p.Bytes())/(1<<20), float64(sum)/(1<<20))
	if p.Bytes()*4 > sum {
		t.Errorf("planning saved less than 4x: %d of %d bytes", p.Bytes(), sum)
	}
}

// TestFamiliesSD21Base checks the per-family FLOP counts of SD 2.1-base at 512x512 against the
// closed form of the UNet's convolutions and attention (batch 2), and that they add up.
func TestFamiliesSD21Base(t *testing.T) {
	m := describeDir(t, fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"))
	g, err := UNet(m.UNet, UNetOptions{Batch: 2, H: 64, W: 64, F16: true, Edit: true, EditBatch: 1, CFG: true})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for _, f := range g.Families() {
		sum += f.FLOPs
		n += f.Dispatches
		t.Logf("%-10s %4d dispatches %9.1f GFLOP", f.Family, f.Dispatches, f.FLOPs/1e9)
	}
	if n != len(g.Ops) || sum != g.FLOPs() {
		t.Fatalf("families add to %d dispatches / %g FLOPs, graph has %d / %g", n, sum, len(g.Ops), g.FLOPs())
	}
	// conv_in alone: 2 samples x 320 x 64*64 x 4*9 multiply-adds
	var convIn float64
	for _, op := range g.Ops {
		if op.Name == "conv_in" {
			convIn = op.Kernel.FLOPs(op.Params)
		}
	}
	if want := 2.0 * 2 * 320 * 4096 * 36; convIn != want {
		t.Errorf("conv_in FLOPs %g, want %g", convIn, want)
	}
	// self-attention of the first level: 2 samples x 5 heads x 4096² x 64 x 2 (QK and PV) x 2
	var att float64
	for _, op := range g.Ops {
		if op.Name == "down_blocks.0.attentions.0.transformer_blocks.0.attn1" {
			att = op.Kernel.FLOPs(op.Params)
		}
	}
	if want := 2.0 * 5 * 4096 * 4096 * 64 * 4; att != want {
		t.Errorf("attn1 FLOPs %g, want %g", att, want)
	}
}
