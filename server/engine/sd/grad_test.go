package sd

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// probe is one coordinate of a variable whose gradient is checked.
type probe struct {
	v *context.Variable
	i int
}

// checkVariableGradients compares the reverse-mode gradient of L = sum(out ⊙ R) (R fixed,
// pseudo-random) with respect to each probed variable coordinate against a central finite
// difference, everything in float64. It is how the engine shows that training can
// backpropagate through its graphs on simplego.
func checkVariableGradients(t *testing.T, ctx *context.Context, build func(ctx *context.Context, g *Graph) *Node, probes []probe, tol float64) {
	t.Helper()
	be, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	vars := []*context.Variable{}
	index := map[*context.Variable]int{}
	for _, p := range probes {
		if _, ok := index[p.v]; !ok {
			index[p.v] = len(vars)
			vars = append(vars, p.v)
		}
	}
	loss := func(ctx *context.Context, g *Graph) *Node {
		out := build(ctx, g)
		r := make([]float32, out.Shape().Size())
		_ = noise.New(9).Normal(r)
		r64 := make([]float64, len(r))
		for i, x := range r {
			r64[i] = float64(x)
		}
		return ReduceAllSum(Mul(out, ConstTensor(g, tensors.FromFlatDataAndDimensions(r64, out.Shape().Dimensions...))))
	}
	gradExec, err := context.NewExec(be, ctx, func(ctx *context.Context, g *Graph) []*Node {
		l := loss(ctx, g)
		nodes := make([]*Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.ValueGraph(g)
		}
		return append([]*Node{l}, Gradient(l, nodes...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	lossExec, err := context.NewExec(be, ctx, func(ctx *context.Context, g *Graph) *Node { return loss(ctx, g) })
	if err != nil {
		t.Fatal(err)
	}
	outs, err := gradExec.Exec()
	if err != nil {
		t.Fatal(err)
	}
	eval := func() float64 {
		o, err := lossExec.Exec()
		if err != nil {
			t.Fatal(err)
		}
		return tensors.ToScalar[float64](o[0])
	}
	const eps = 1e-5
	for _, p := range probes {
		grad := tensors.MustCopyFlatData[float64](outs[1+index[p.v]])
		scale := 0.0
		for _, g := range grad {
			scale = math.Max(scale, math.Abs(g))
		}
		orig := tensors.MustCopyFlatData[float64](p.v.MustValue())
		set := func(x float64) {
			vals := append([]float64(nil), orig...)
			vals[p.i] = x
			if err := p.v.SetValue(tensors.FromFlatDataAndDimensions(vals, p.v.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
		}
		set(orig[p.i] + eps)
		up := eval()
		set(orig[p.i] - eps)
		down := eval()
		set(orig[p.i])
		fd := (up - down) / (2 * eps)
		if d := math.Abs(fd - grad[p.i]); d > tol*math.Max(scale, 1e-6) {
			t.Errorf("%s[%d]: gradient %.8g, finite difference %.8g (gradient scale %.3g)", p.v.ScopeAndName(), p.i, grad[p.i], fd, scale)
		}
	}
}

// spread picks n coordinates spread over a variable.
func spread(v *context.Variable, n int) []probe {
	size := v.Shape().Size()
	out := make([]probe, 0, n)
	for k := 0; k < n; k++ {
		out = append(out, probe{v, (k*7919 + 11) % size})
	}
	return out
}

func fixtureModel(t *testing.T, v fixture.Variant) *weights.Model {
	t.Helper()
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// paramNamed is the first (or, with last, the last) parameter whose name ends in suffix, so the
// probes find the same kind of layer in any fixture architecture.
func paramNamed(t *testing.T, params []weights.Param, suffix string, last bool) string {
	t.Helper()
	name := ""
	for _, p := range params {
		if strings.HasSuffix(p.Name, suffix) {
			name = p.Name
			if !last {
				break
			}
		}
	}
	if name == "" {
		t.Fatalf("no parameter named *%s", suffix)
	}
	return name
}

// The UNet with layout guidance differentiates with respect to its input, the text embedding
// and its weights (convolutions, attention, GEGLU, norms), in float64 on random parameters of
// each fixture architecture at an 8x8 latent.
func TestUNetGradient(t *testing.T) {
	for _, fv := range fixture.Variants(t) {
		t.Run(fv.Name, func(t *testing.T) {
			m := fixtureModel(t, fv)
			d := m.UNet
			ctx := context.New()
			randomVariables(t, ctx, UNetScope, d.Params(), true)
			const h, textLen = 8, 5
			in := ctx.InAbsPath("/inputs")
			sample := in.VariableWithValue("sample", tensors.FromFlatDataAndDimensions(randomF64(1, 1*d.Config.InChannels*h*h), 1, d.Config.InChannels, h, h))
			text := in.VariableWithValue("text", tensors.FromFlatDataAndDimensions(randomF64(2, textLen*d.Config.CrossAttentionDim), 1, textLen, d.Config.CrossAttentionDim))
			tproj := nnTimestep(d, 500)
			qls := map[int][]float64{}
			for _, lg := range (&UNet{Desc: d}).CrossAttentionGrids(h, h) {
				n := lg.Height * lg.Width
				grid := make([]float64, n*textLen)
				for q := 0; q < n; q++ {
					grid[q*textLen+2] = map[bool]float64{true: 2.5, false: -3}[q%lg.Width < lg.Width/2]
				}
				qls[n] = grid
			}
			build := func(ctx *context.Context, g *Graph) *Node {
				guide := &Guide{Strength: Const(g, []float64{0.3}), Grids: map[int]*Node{}}
				for n, grid := range qls {
					guide.Grids[n] = Reshape(Const(g, grid), n, textLen)
				}
				return UNetGraph(ctx, d, sample.ValueGraph(g), Const(g, [][]float64{tproj}), text.ValueGraph(g), guide)
			}
			v := func(name string) *context.Variable {
				scope, n := variableScope(UNetScope, name)
				return ctx.GetVariableByScopeAndName(scope, n)
			}
			probes := append(spread(sample, 4), spread(text, 6)...)
			params := d.Params()
			// The first cross-attention key and GEGLU projection, and the last upsampler (the one
			// of a block with attentions).
			for _, name := range []string{"conv_in.weight", paramNamed(t, params, ".attn2.to_k.weight", false),
				paramNamed(t, params, ".ff.net.0.proj.weight", false), "mid_block.resnets.0.norm1.weight",
				paramNamed(t, params, ".upsamplers.0.conv.weight", true), "conv_out.bias"} {
				probes = append(probes, spread(v(name), 2)...)
			}
			checkVariableGradients(t, ctx, build, probes, 1e-5)
		})
	}
}

// The trainer's path: the text encoder's weights receive the gradient of a UNet output
// computed from its embedding (token embeddings gathered, position embeddings, layer norms,
// causal attention, gelu/quick_gelu MLP). The prompt is the fixture's layout prompt.
func TestTextEncoderThroughUNetGradient(t *testing.T) {
	for _, fv := range fixture.Variants(t) {
		t.Run(fv.Name, func(t *testing.T) {
			m := fixtureModel(t, fv)
			ls := fv.Layout(t)
			ctx := context.New()
			randomVariables(t, ctx, TextEncoderScope, m.TextEncoder.Params(), true)
			randomVariables(t, ctx, UNetScope, m.UNet.Params(), true)
			ids := make([]int32, len(ls.PromptIDs))
			for i, id := range ls.PromptIDs {
				ids[i] = int32(id)
			}
			const h = 8
			sample := randomF64(3, m.UNet.Config.InChannels*h*h)
			tproj := nnTimestep(m.UNet, 250)
			build := func(ctx *context.Context, g *Graph) *Node {
				emb := TextEncoderGraph(ctx, m.TextEncoder, Const(g, [][]int32{ids}))
				x := Reshape(Const(g, sample), 1, m.UNet.Config.InChannels, h, h)
				return UNetGraph(ctx, m.UNet, x, Const(g, [][]float64{tproj}), emb, nil)
			}
			v := func(name string) *context.Variable {
				scope, n := variableScope(TextEncoderScope, name)
				return ctx.GetVariableByScopeAndName(scope, n)
			}
			table := v("text_model.embeddings.token_embedding.weight")
			width := m.TextEncoder.Width()
			var probes []probe
			for k, s := range ls.Subjects[:min(2, len(ls.Subjects))] { // rows the prompt uses
				if s.Index >= len(ids) {
					t.Fatalf("subject %q at token %d of a %d-token prompt", s.Word, s.Index, len(ids))
				}
				probes = append(probes, probe{table, ls.PromptIDs[s.Index]*width + 3*k + 1})
			}
			second := min(1, len(m.TextEncoder.Layers)-1)
			for _, name := range []string{"text_model.embeddings.position_embedding.weight", "text_model.encoder.layers.0.layer_norm1.weight",
				"text_model.encoder.layers.0.self_attn.q_proj.weight", fmt.Sprintf("text_model.encoder.layers.%d.mlp.fc1.weight", second),
				"text_model.final_layer_norm.bias"} {
				probes = append(probes, spread(v(name), 2)...)
			}
			checkVariableGradients(t, ctx, build, probes, 1e-5)
		})
	}
}

func randomF64(seed uint64, n int) []float64 {
	f := make([]float32, n)
	_ = noise.New(seed).Normal(f)
	out := make([]float64, n)
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

func nnTimestep(d *weights.UNet, t float32) []float64 {
	tp := d.TimeProj
	emb := timestepProjection([]float32{t}, tp)
	out := make([]float64, len(emb))
	for i, v := range emb {
		out[i] = float64(v)
	}
	return out
}
