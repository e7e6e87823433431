package gpugraph

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// model is one fixture folder's description and float32 weights, loaded once per test run.
type model struct {
	desc   *weights.Model
	values map[string]map[string][]float32 // component -> param -> values
}

var models sync.Map // dir -> *model

func loadModel(t *testing.T, v fixture.Variant) *model {
	t.Helper()
	if m, ok := models.Load(v.Dir); ok {
		return m.(*model)
	}
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	m := &model{desc: d, values: map[string]map[string][]float32{}}
	for _, c := range weights.Components() {
		w, err := f.Weights(c)
		if err != nil {
			t.Fatal(err)
		}
		mod, _ := d.Module(c)
		ts, err := w.LoadFloat32(mod)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string][]float32{}
		for name, tn := range ts {
			vals[name] = tn.Data
		}
		m.values[c] = vals
	}
	models.Store(v.Dir, m)
	return m
}

// run plans and runs g on the CPU with the component's weights.
func (m *model) run(t *testing.T, g *Graph, component string, inputs map[string]wgsl.Mem) map[string]wgsl.Mem {
	t.Helper()
	w, err := WeightMems(g, m.values[component])
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunCPU(g, PlanMemory(g), w, inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTextEncoderFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			ids := v.Tensor(t, "text_encoder.input_ids")
			g, err := TextEncoder(m.desc.TextEncoder, TextOptions{Batch: ids.Shape[0]})
			if err != nil {
				t.Fatal(err)
			}
			u := make([]uint32, len(ids.I64))
			for i, id := range ids.I64 {
				u[i] = uint32(id)
			}
			out := m.run(t, g, weights.TextEncoderDir, map[string]wgsl.Mem{"ids": {U: u}})
			fixture.AssertClose(t, "last_hidden_state", out["hidden"].F, v.Tensor(t, "text_encoder.last_hidden_state").F32, 1e-4)
		})
	}
}

func TestUNetFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			for _, ts := range v.UNetTimesteps(t) {
				key := "unet.t" + ftoa(ts)
				sample := v.Tensor(t, key+".sample")
				g, err := UNet(m.desc.UNet, UNetOptions{Batch: sample.Shape[0], H: sample.Shape[2], W: sample.Shape[3]})
				if err != nil {
					t.Fatal(err)
				}
				scal := StepScalars(m.desc.UNet, sample.Shape[0], ts, 0, 0)
				out := m.run(t, g, weights.UNetDir, map[string]wgsl.Mem{"sample": {F: sample.F32},
					"context": {F: v.Tensor(t, key+".encoder_hidden_states").F32}, "scalars": {F: scal}})
				fixture.AssertClose(t, key, out["out"].F, v.Tensor(t, key+".out").F32, 1e-4)
			}
		})
	}
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// firstUNetTimestep is the first of cases.unet.timesteps, the plain UNet call the split and
// cached paths are checked on, with its expected tensors' key.
func firstUNetTimestep(t *testing.T, v fixture.Variant) (float64, string) {
	t.Helper()
	ts := v.UNetTimesteps(t)[0]
	return ts, "unet.t" + ftoa(ts)
}

// fixtureLayout builds the layout weights of a fixture variant through cones/layout, from the
// official colour PNG and the cases' color_context and subject_list.
func fixtureLayout(t *testing.T, v fixture.Variant, size int) *layout.Weights {
	t.Helper()
	var cases struct {
		LS struct {
			Prompt       string          `json:"prompt"`
			SubjectList  json.RawMessage `json:"subject_list"`
			ColorContext json.RawMessage `json:"color_context"`
			Layout       string          `json:"layout"`
		} `json:"layout_sampling"`
	}
	v.Cases(t, &cases)
	ls := cases.LS
	cfg, err := json.Marshal([]any{map[string]any{"prompt": ls.Prompt, "color_context": ls.ColorContext,
		"subject_list": ls.SubjectList, "guidance_steps": 1, "guidance_weight": 0.08, "weight_negative": -1e8, "layout": ls.Layout}})
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(v.Dir, ls.Layout))
	if err != nil {
		t.Fatal(err)
	}
	l, s, err := layout.ImportOfficial(cfg, png)
	if err != nil {
		t.Fatal(err)
	}
	pos := make([][]int, len(l.Subjects))
	for i, sub := range l.Subjects {
		for _, st := range s.SubjectList {
			if st.Word == sub.Word {
				pos[i] = append(pos[i], st.Index)
			}
		}
	}
	w, err := l.Build(size, size, pos)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestUNetCones2Fixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			var cases struct {
				C struct {
					Timestep       float64 `json:"timestep"`
					Sigma          float64 `json:"sigma"`
					GuidanceWeight float64 `json:"guidance_weight"`
				} `json:"unet_cones2"`
			}
			v.Cases(t, &cases)
			sample := v.Tensor(t, "unet_cones2.sample")
			h, w := sample.Shape[2], sample.Shape[3]
			g, err := UNet(m.desc.UNet, UNetOptions{Batch: 1, H: h, W: w, Edit: true, EditBatch: 0})
			if err != nil {
				t.Fatal(err)
			}
			lw := fixtureLayout(t, v, m.desc.VAE.DownsampleFactor()*h)
			inputs := map[string]wgsl.Mem{"sample": {F: sample.F32}, "context": {F: v.Tensor(t, "unet_cones2.encoder_hidden_states").F32}}
			for name, id := range g.Inputs {
				if n := g.Tensors[id].Len / 77; name == LayoutInput(n) {
					grid, err := lw.Grid(n)
					if err != nil {
						t.Fatal(err)
					}
					inputs[name] = wgsl.Mem{F: grid.Data}
				}
			}
			scal := StepScalars(m.desc.UNet, 1, cases.C.Timestep, float32(cases.C.GuidanceWeight*math.Log(1+cases.C.Sigma*cases.C.Sigma)), 0)
			inputs["scalars"] = wgsl.Mem{F: scal}
			out := m.run(t, g, weights.UNetDir, inputs)
			fixture.AssertClose(t, "unet_cones2.out", out["out"].F, v.Tensor(t, "unet_cones2.out").F32, 1e-4)
		})
	}
}

func TestVAEDecodeFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			lat := v.Tensor(t, "vae.decode.latents")
			g, err := VAEDecoder(m.desc.VAE, VAEOptions{H: lat.Shape[2], W: lat.Shape[3]})
			if err != nil {
				t.Fatal(err)
			}
			out := m.run(t, g, weights.VAEDir, map[string]wgsl.Mem{"latents": {F: lat.F32}})
			fixture.AssertClose(t, "vae.decode.out", out["image"].F, v.Tensor(t, "vae.decode.out").F32, 1e-4)
		})
	}
}

// TestUNetSplitWork runs the UNet fixture with every split path forced: a binding limit that
// makes the feed-forward run in row chunks and attention scores come in query chunks, and the
// self-attention through the chunked matmul + softmax path instead of the online-softmax kernel.
func TestUNetSplitWork(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			ts, key := firstUNetTimestep(t, v)
			sample := v.Tensor(t, key+".sample")
			o := UNetOptions{Batch: sample.Shape[0], H: sample.Shape[2], W: sample.Shape[3], Limit: 300 << 10, FlashMaxHeadDim: 1}
			g, err := UNet(m.desc.UNet, o)
			if err != nil {
				t.Fatal(err)
			}
			var chunks, softmax int
			for _, op := range g.Ops {
				switch op.Kernel.(type) {
				case wgsl.Softmax:
					softmax++
				case wgsl.Eltwise:
					if op.Kernel.(wgsl.Eltwise).Op == wgsl.EltGEGLU {
						chunks++
					}
				}
			}
			nt := len(m.desc.UNet.Transformers())
			if chunks <= nt || softmax <= nt {
				t.Fatalf("%d GEGLU and %d softmax dispatches for %d transformers: the work was not split", chunks, softmax, nt)
			}
			scal := StepScalars(m.desc.UNet, o.Batch, ts, 0, 0)
			out := m.run(t, g, weights.UNetDir, map[string]wgsl.Mem{"sample": {F: sample.F32},
				"context": {F: v.Tensor(t, key+".encoder_hidden_states").F32}, "scalars": {F: scal}})
			fixture.AssertClose(t, key+" (split)", out["out"].F, v.Tensor(t, key+".out").F32, 1e-4)
		})
	}
}
