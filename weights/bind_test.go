package weights

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// tinyVAE is a small VAE description used by binding tests.
func tinyVAE(t *testing.T) *VAE {
	t.Helper()
	v, err := DescribeVAE(VAEConfig{
		InChannels: 3, OutChannels: 3, LatentChannels: 4, LayersPerBlock: 1, NormNumGroups: 4,
		BlockOutChannels: []int{8, 16}, ActFn: "silu", ScalingFactor: DefaultScalingFactor,
		DownBlockTypes: []string{"DownEncoderBlock2D", "DownEncoderBlock2D"},
		UpBlockTypes:   []string{"UpDecoderBlock2D", "UpDecoderBlock2D"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// headerOf writes a file holding the given tensors (zero data) and parses its header back.
func headerOf(t *testing.T, file string, ts []OutTensor) (*Header, []byte) {
	t.Helper()
	for i := range ts {
		n := ts[i].NumBytes()
		ts[i].Bytes = func() ([]byte, error) { return make([]byte, n), nil }
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(file, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return h, buf.Bytes()
}

// tensorsFor lists the parameters of m as tensors to write, edited by edit (which may rename
// by returning a different name, or drop by returning "").
func tensorsFor(m Module, dt DType, edit func(p *Param) string) []OutTensor {
	var out []OutTensor
	for _, p := range m.Params() {
		name := p.Name
		if edit != nil {
			name = edit(&p)
		}
		if name == "" {
			continue
		}
		d := dt
		if !p.DType.IsFloat() {
			d = p.DType
		}
		out = append(out, OutTensor{Name: name, DType: d, Shape: p.Shape})
	}
	return out
}

func TestBindExact(t *testing.T) {
	v := tinyVAE(t)
	for _, dt := range []DType{F32, F16, BF16} {
		h, _ := headerOf(t, "vae.safetensors", tensorsFor(v, dt, nil))
		b, err := Bind(v, []*Header{h})
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		if len(b.Sources) != len(v.Params()) {
			t.Fatalf("%d sources for %d params", len(b.Sources), len(v.Params()))
		}
		s, ok := b.Source("decoder.conv_out.weight")
		if !ok || s.File != "vae.safetensors" || s.Tensor.DType != dt || s.Tensor.End-s.Tensor.Begin != int64(s.Param.NumElements()*dt.Size()) {
			t.Errorf("%s: source %+v", dt, s)
		}
	}
}

func TestBindErrors(t *testing.T) {
	v := tinyVAE(t)
	cases := []struct {
		name string
		edit func(p *Param) string
		want string
		list func(e *BindError) []string
	}{
		{"missing key", func(p *Param) string {
			if p.Name == "encoder.conv_in.bias" {
				return ""
			}
			return p.Name
		}, "encoder.conv_in.bias", func(e *BindError) []string { return e.Missing }},
		{"unused key", func(p *Param) string {
			if p.Name == "quant_conv.bias" {
				return "quant_conv.extra"
			}
			return p.Name
		}, "quant_conv.extra", func(e *BindError) []string { return e.Unused }},
		{"wrong shape", func(p *Param) string {
			if p.Name == "decoder.conv_in.weight" {
				p.Shape = []int{16, 4, 1, 1}
			}
			return p.Name
		}, "decoder.conv_in.weight: shape [16 4 1 1], want [16 4 3 3]", func(e *BindError) []string { return e.WrongShape }},
		{"wrong dtype", func(p *Param) string {
			if p.Name == "post_quant_conv.bias" {
				p.DType = I64
			}
			return p.Name
		}, "post_quant_conv.bias: dtype I64, want F32", func(e *BindError) []string { return e.WrongDType }},
		{"both spellings", func(p *Param) string { return p.Name }, "also spelt", func(e *BindError) []string { return e.Ambiguous }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := tensorsFor(v, F32, c.edit)
			if c.name == "both spellings" {
				ts = append(ts, OutTensor{Name: "encoder.mid_block.attentions.0.to_q.weight", DType: F32, Shape: []int{16, 16}})
			}
			h, _ := headerOf(t, "vae.safetensors", ts)
			_, err := Bind(v, []*Header{h})
			var be *BindError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BindError", err)
			}
			got := c.list(be)
			if len(got) != 1 || !strings.Contains(got[0], c.want) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q (%v), want one entry with %q", got, err, c.want)
			}
		})
	}
}

func TestBindErrorListsFirstFew(t *testing.T) {
	v := tinyVAE(t)
	h, _ := headerOf(t, "vae.safetensors", tensorsFor(v, F32, func(p *Param) string { return "x." + p.Name }))
	_, err := Bind(v, []*Header{h})
	var be *BindError
	if !errors.As(err, &be) || len(be.Missing) != len(v.Params()) || len(be.Unused) != len(v.Params()) {
		t.Fatalf("%v", err)
	}
	msg := err.Error()
	if strings.Count(msg, "x.") != errListMax || !strings.Contains(msg, ", ...") ||
		!strings.HasPrefix(msg, fmt.Sprintf("%d missing: encoder.conv_in.weight", len(v.Params()))) {
		t.Errorf("message %q", msg)
	}
}

// TestVAEAttentionRenames checks each entry of the rename table: a file that spells the
// parameter the newer way binds to the description's (older) name.
func TestVAEAttentionRenames(t *testing.T) {
	v := tinyVAE(t)
	for _, r := range vaeAttentionRenames {
		for _, leaf := range []string{"weight", "bias"} {
			oldName := "decoder.mid_block.attentions.0." + r.Old + "." + leaf
			newName := "decoder.mid_block.attentions.0." + r.New + "." + leaf
			t.Run(newName, func(t *testing.T) {
				h, _ := headerOf(t, "vae.safetensors", tensorsFor(v, F16, func(p *Param) string {
					if p.Name == oldName {
						return newName
					}
					return p.Name
				}))
				b, err := Bind(v, []*Header{h})
				if err != nil {
					t.Fatal(err)
				}
				s, ok := b.Source(oldName)
				if !ok || s.Tensor.Name != newName {
					t.Fatalf("%s bound to %+v", oldName, s.Tensor)
				}
			})
		}
	}
	if got := vaeAttentionAliases("text_model.encoder.layers.0.self_attn.q_proj.weight"); got != nil {
		t.Errorf("renamed a CLIP name: %v", got)
	}
}

func TestBindOptionalAndShards(t *testing.T) {
	te, err := DescribeTextEncoder(TextEncoderConfig{VocabSize: 10, HiddenSize: 8, IntermediateSize: 16,
		NumHiddenLayers: 1, NumAttentionHeads: 2, MaxPositionEmbeddings: 5, HiddenAct: "gelu", LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	all := tensorsFor(te, F32, nil)
	// position_ids present (as real checkpoints have it) or absent (as the fixtures): both bind,
	// neither is a float parameter.
	for _, keep := range []bool{true, false} {
		var ts []OutTensor
		for _, x := range all {
			if x.Name != te.PositionIDs.Name || keep {
				ts = append(ts, x)
			}
		}
		h, _ := headerOf(t, "model.safetensors", ts)
		b, err := Bind(te, []*Header{h})
		if err != nil {
			t.Fatalf("position_ids kept %v: %v", keep, err)
		}
		if _, ok := b.Source(te.PositionIDs.Name); ok != keep {
			t.Errorf("position_ids kept %v, bound %v", keep, ok)
		}
	}
	// Split across two shards: binds; the same tensor in both shards: ambiguous.
	h1, _ := headerOf(t, "a.safetensors", all[:4])
	h2, _ := headerOf(t, "b.safetensors", all[4:])
	b, err := Bind(te, []*Header{h1, h2})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := b.Source(all[5].Name); s.File != "b.safetensors" {
		t.Errorf("%s from %s", all[5].Name, s.File)
	}
	h3, _ := headerOf(t, "c.safetensors", all[3:])
	if _, err := Bind(te, []*Header{h1, h3}); err == nil || !strings.Contains(err.Error(), "in a.safetensors and c.safetensors") {
		t.Errorf("duplicate across shards: %v", err)
	}
}
