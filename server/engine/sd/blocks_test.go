package sd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/reference"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Block-level parity: single blocks of the fixture models with their real weights, run by the
// engine and by the plain-Go float64 reference (package reference). It sits between the op tests
// (package nn) and the whole-model fixture tests, so a divergence can be bisected.

// refWeights reads a network's parameters as float64 for the reference.
type refWeights struct {
	t    *testing.T
	p    *Pipeline
	root string
}

func (w refWeights) get(name string) []float64 {
	scope, n := variableScope(w.root, name)
	v := w.p.Context.GetVariableByScopeAndName(scope, n)
	if v == nil {
		w.t.Fatalf("no variable %s", name)
	}
	return reference.F64(tensors.MustCopyFlatData[float32](v.MustValue()))
}

func (w refWeights) conv(x []float64, b, h, wd, cin int, d weights.Conv2D, up int) ([]float64, int, int) {
	var bias []float64
	if d.Bias {
		bias = w.get(d.BiasName())
	}
	return reference.Conv2D(x, b, h, wd, cin, w.get(d.WeightName()), bias, d.Out, d.Kernel,
		reference.ConvSpec{Stride: d.Stride, Up: up, Pad: [4]int{d.Pad.Top, d.Pad.Bottom, d.Pad.Left, d.Pad.Right}})
}

func (w refWeights) linear(x []float64, rows int, d weights.Linear) []float64 {
	var bias []float64
	if d.Bias {
		bias = w.get(d.BiasName())
	}
	return reference.Linear(x, rows, d.In, w.get(d.WeightName()), bias, d.Out)
}

func (w refWeights) groupNorm(x []float64, b, p int, d weights.GroupNorm) []float64 {
	return reference.GroupNorm(x, b, p, d.Channels, d.Groups, w.get(d.Name+".weight"), w.get(d.Name+".bias"), d.Eps)
}

func (w refWeights) layerNorm(x []float64, rows int, d weights.LayerNorm) []float64 {
	return reference.LayerNorm(x, rows, d.Dim, w.get(d.Name+".weight"), w.get(d.Name+".bias"), d.Eps)
}

// resnet is diffusers' ResnetBlock2D on x [b, h, w, in] (channels last); temb [b, temb] or nil.
func (w refWeights) resnet(x []float64, b, h, wd int, temb []float64, d weights.ResnetBlock) []float64 {
	y := reference.Map(w.groupNorm(x, b, h*wd, d.Norm1), reference.SiLU)
	y, _, _ = w.conv(y, b, h, wd, d.In, d.Conv1, 1)
	if d.TimeEmbProj != nil {
		t := w.linear(reference.Map(temb, reference.SiLU), b, *d.TimeEmbProj)
		for i := range y {
			y[i] += t[(i/(h*wd*d.Out))*d.Out+i%d.Out]
		}
	}
	y = reference.Map(w.groupNorm(y, b, h*wd, d.Norm2), reference.SiLU)
	y, _, _ = w.conv(y, b, h, wd, d.Out, d.Conv2, 1)
	short := x
	if d.Shortcut != nil {
		short, _, _ = w.conv(x, b, h, wd, d.In, *d.Shortcut, 1)
	}
	out := reference.Add(short, y)
	for i := range out {
		out[i] /= d.OutputScale
	}
	return out
}

func (w refWeights) attention(x, ctx []float64, b, n, m int, d weights.Attention, edit *reference.Edit) []float64 {
	kv := x
	if d.Cross {
		kv = ctx
	}
	q, k, v := w.linear(x, b*n, d.Q), w.linear(kv, b*m, d.K), w.linear(kv, b*m, d.V)
	return w.linear(reference.Attention(q, k, v, b, n, m, d.Q.Out, d.Heads, d.Causal, edit), b*n, d.Out)
}

// transformer is Transformer2DModel on x [b, h, w, c] with text [b, m, ctx].
func (w refWeights) transformer(x, text []float64, b, h, wd, m int, d weights.Transformer2D, edit *reference.Edit) []float64 {
	n := h * wd
	y := w.linear(w.groupNorm(x, b, n, d.Norm), b*n, d.ProjIn)
	for _, blk := range d.Blocks {
		y = reference.Add(y, w.attention(w.layerNorm(y, b*n, blk.Norm1), nil, b, n, n, blk.Attn1, nil))
		y = reference.Add(y, w.attention(w.layerNorm(y, b*n, blk.Norm2), text, b, n, m, blk.Attn2, edit))
		proj := w.linear(w.layerNorm(y, b*n, blk.Norm3), b*n, blk.FF.Proj)
		inner := blk.FF.Inner
		gated := make([]float64, b*n*inner)
		for r := 0; r < b*n; r++ {
			for i := 0; i < inner; i++ {
				gated[r*inner+i] = proj[r*2*inner+i] * reference.GELU(proj[r*2*inner+inner+i])
			}
		}
		y = reference.Add(y, w.linear(gated, b*n, blk.FF.Out))
	}
	return reference.Add(w.linear(y, b*n, d.ProjOut), x)
}

// runBuilder runs fn, a graph of the pipeline's variables, on float32 inputs.
func runBuilder(t *testing.T, p *Pipeline, kind, root string, fn func(b builder, in []*Node) *Node, inputs ...*tensors.Tensor) []float32 {
	t.Helper()
	out, err := p.UNet.exec.run(kind, func(ctx *context.Context, in []*Node) []*Node {
		return []*Node{fn(builder{ctx: ctx, g: in[0].Graph(), root: root}, in)}
	}, inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func TestBlocksAgainstReference(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		p := pipeline(t, v)
		u := p.Model.UNet
		uw := refWeights{t, p, UNetScope}
		const bs, h = 2, 8
		t.Run(v.Name+"/resnets", func(t *testing.T) {
			for _, r := range []weights.ResnetBlock{u.Down[0].Resnets[0], u.Up[1].Resnets[0], u.Mid.Resnets[1]} {
				x := randomTensor(1, 1, bs, h, h, r.In)
				temb := randomTensor(2, 1, bs, u.TimeEmbedDim())
				got := runBuilder(t, p, "test/"+r.Name, UNetScope, func(b builder, in []*Node) *Node { return b.resnet(in[0], in[1], r) },
					tensors.FromFlatDataAndDimensions(x.Data, x.Shape...), tensors.FromFlatDataAndDimensions(temb.Data, temb.Shape...))
				want := uw.resnet(reference.F64(x.Data), bs, h, h, reference.F64(temb.Data), r)
				fixture.AssertClose(t, r.Name, got, reference.F32(want), 1e-5)
			}
		})
		t.Run(v.Name+"/transformer-guided", func(t *testing.T) {
			tr := u.Down[1].Attentions[0]
			const m = 77
			x := randomTensor(3, 1, bs, h, h, tr.Channels)
			text := randomTensor(4, 1, bs, m, u.Config.CrossAttentionDim)
			grid := make([]float32, h*h*m)
			for q := 0; q < h*h; q++ {
				grid[q*m+5] = map[bool]float32{true: 2.5, false: -1e8}[q%h < h/2]
			}
			strength := []float32{0, 0.3}
			got := runBuilder(t, p, "test/"+tr.Name, UNetScope, func(b builder, in []*Node) *Node {
				return b.transformer(in[0], in[1], tr, &Guide{Grids: map[int]*Node{h * h: in[2]}, Strength: in[3]})
			}, tensors.FromFlatDataAndDimensions(x.Data, x.Shape...), tensors.FromFlatDataAndDimensions(text.Data, text.Shape...),
				tensors.FromFlatDataAndDimensions(grid, h*h, m), tensors.FromFlatDataAndDimensions(strength, bs))
			want := uw.transformer(reference.F64(x.Data), reference.F64(text.Data), bs, h, h, m, tr,
				&reference.Edit{W: reference.F64(grid), Strength: reference.F64(strength)})
			fixture.AssertClose(t, tr.Name, got, reference.F32(want), 1e-5)
		})
		t.Run(v.Name+"/samplers", func(t *testing.T) {
			down, up := u.Down[0].Downsample, u.Up[0].Upsample
			for _, c := range []struct {
				d  weights.Conv2D
				up int
			}{{*down, 1}, {*up, 2}, {*p.Model.VAE.Encoder.Down[0].Downsample, 1}} {
				root := UNetScope
				ww := uw
				if strings.HasPrefix(c.d.Name, "encoder.") {
					root, ww = VAEScope, refWeights{t, p, VAEScope}
				}
				x := randomTensor(5, 1, 1, h, h, c.d.In)
				got := runBuilder(t, p, "test/"+c.d.Name, root, func(b builder, in []*Node) *Node { return b.conv(in[0], c.d, c.up) },
					tensors.FromFlatDataAndDimensions(x.Data, x.Shape...))
				want, _, _ := ww.conv(reference.F64(x.Data), 1, h, h, c.d.In, c.d, c.up)
				fixture.AssertClose(t, fmt.Sprintf("%s (up %d)", c.d.Name, c.up), got, reference.F32(want), 1e-5)
			}
		})
		t.Run(v.Name+"/vae-attention", func(t *testing.T) {
			a := p.Model.VAE.Decoder.Mid.Attentions[0]
			vw := refWeights{t, p, VAEScope}
			x := randomTensor(6, 1, 1, h, h, a.Norm.Channels)
			got := runBuilder(t, p, "test/"+a.Name, VAEScope, func(b builder, in []*Node) *Node { return b.vaeAttention(in[0], a) },
				tensors.FromFlatDataAndDimensions(x.Data, x.Shape...))
			xs := reference.F64(x.Data)
			want := reference.Add(vw.attention(vw.groupNorm(xs, 1, h*h, a.Norm), nil, 1, h*h, h*h, a.Attn, nil), xs)
			fixture.AssertClose(t, a.Name, got, reference.F32(want), 1e-5)
		})
		t.Run(v.Name+"/clip-layer", func(t *testing.T) {
			l := p.Model.TextEncoder.Layers[0]
			tw := refWeights{t, p, TextEncoderScope}
			const n = 77
			x := randomTensor(7, 1, bs, n, p.Model.TextEncoder.Width())
			got := runBuilder(t, p, "test/"+l.Name, TextEncoderScope, func(b builder, in []*Node) *Node { return clipLayer(b, in[0], l) },
				tensors.FromFlatDataAndDimensions(x.Data, x.Shape...))
			xs := reference.F64(x.Data)
			y := reference.Add(xs, tw.attention(tw.layerNorm(xs, bs*n, l.Norm1), nil, bs, n, n, l.Attn, nil))
			act := map[string]func(float64) float64{"gelu": reference.GELU, "quick_gelu": reference.QuickGELU}[l.Act]
			want := reference.Add(y, tw.linear(reference.Map(tw.linear(tw.layerNorm(y, bs*n, l.Norm2), bs*n, l.FC1), act), bs*n, l.FC2))
			fixture.AssertClose(t, l.Name, got, reference.F32(want), 1e-5)
		})
	}
}
