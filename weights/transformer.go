package weights

// FeedForward is diffusers' FeedForward with the GEGLU activation:
//
//	value, gate = split(Proj(x), 2)     (first Inner channels, then the next Inner)
//	out = Out(value * gelu(gate))       (exact, erf-based gelu)
type FeedForward struct {
	Name  string
	Inner int
	Proj  Linear // ff.net.0.proj: Dim -> 2*Inner
	Out   Linear // ff.net.2: Inner -> Dim
}

// Params lists the GEGLU projection and the output linear.
func (f FeedForward) Params() []Param { return collect(f.Proj, f.Out) }

// TransformerBlock is diffusers' BasicTransformerBlock:
//
//	x = Attn1(Norm1(x)) + x                       self-attention
//	x = Attn2(Norm2(x), text embedding) + x       cross-attention (Cones 2 edits its scores)
//	x = FF(Norm3(x)) + x
type TransformerBlock struct {
	Name                string
	Norm1, Norm2, Norm3 LayerNorm
	Attn1, Attn2        Attention
	FF                  FeedForward
}

// Params lists the layers in the order they run.
func (t TransformerBlock) Params() []Param {
	return collect(t.Norm1, t.Attn1, t.Norm2, t.Attn2, t.Norm3, t.FF)
}

// Transformer2D is diffusers' Transformer2DModel on continuous input:
//
//	h = Norm(x)                         group norm, eps 1e-6
//	h = ProjIn(h) on every pixel        as pixels × channels
//	h = Blocks(h)
//	out = ProjOut(h) + x
//
// LinearProjection only says how ProjIn/ProjOut are stored (Linear vs 1x1 conv, see
// Linear.Conv1x1); the map is the same.
type Transformer2D struct {
	Name             string
	Channels, Inner  int // Inner = heads × head dim = Channels in every SD UNet
	Heads, HeadDim   int
	LinearProjection bool
	Norm             GroupNorm
	ProjIn           Linear
	Blocks           []TransformerBlock
	ProjOut          Linear
}

// Params lists norm, proj_in, the transformer blocks and proj_out.
func (t Transformer2D) Params() []Param {
	ms := []Module{t.Norm, t.ProjIn}
	for _, b := range t.Blocks {
		ms = append(ms, b)
	}
	return collect(append(ms, t.ProjOut)...)
}

// transformerSpec is what a UNet block knows about one of its transformers.
type transformerSpec struct {
	name            string
	channels, heads int
	context, groups int
	linear, upcast  bool
}

// diffusers hard-codes the epsilons inside Transformer2DModel: its group norm uses 1e-6 and
// the LayerNorms of BasicTransformerBlock PyTorch's default 1e-5, whatever norm_eps says.
const (
	transformerGroupNormEps = 1e-6
	transformerLayerNormEps = 1e-5
)

func newTransformer2D(s transformerSpec) Transformer2D {
	headDim := s.channels / s.heads
	inner := s.heads * headDim
	t := Transformer2D{
		Name: s.name, Channels: s.channels, Inner: inner, Heads: s.heads, HeadDim: headDim,
		LinearProjection: s.linear,
		Norm:             GroupNorm{Name: join(s.name, "norm"), Groups: s.groups, Channels: s.channels, Eps: transformerGroupNormEps},
		ProjIn:           Linear{Name: join(s.name, "proj_in"), In: s.channels, Out: inner, Bias: true, Conv1x1: !s.linear},
		ProjOut:          Linear{Name: join(s.name, "proj_out"), In: inner, Out: s.channels, Bias: true, Conv1x1: !s.linear},
	}
	// Stable Diffusion UNets have one transformer block per Transformer2DModel.
	b := join(s.name, "transformer_blocks", "0")
	ln := func(n string) LayerNorm { return LayerNorm{Name: join(b, n), Dim: inner, Eps: transformerLayerNormEps} }
	ffInner := 4 * inner
	t.Blocks = []TransformerBlock{{
		Name:  b,
		Norm1: ln("norm1"), Norm2: ln("norm2"), Norm3: ln("norm3"),
		Attn1: unetAttention(join(b, "attn1"), inner, inner, s.heads, false, s.upcast),
		Attn2: unetAttention(join(b, "attn2"), inner, s.context, s.heads, true, s.upcast),
		FF: FeedForward{
			Name: join(b, "ff"), Inner: ffInner,
			Proj: Linear{Name: join(b, "ff", "net", "0", "proj"), In: inner, Out: 2 * ffInner, Bias: true},
			Out:  Linear{Name: join(b, "ff", "net", "2"), In: ffInner, Out: inner, Bias: true},
		},
	}}
	return t
}

// unetAttention is diffusers' CrossAttention with attention_bias false: q/k/v without bias,
// to_out.0 with one.
func unetAttention(name string, dim, context, heads int, cross, upcast bool) Attention {
	inner := dim // heads × (dim/heads)
	return Attention{
		Name:  name,
		Q:     Linear{Name: join(name, "to_q"), In: dim, Out: inner},
		K:     Linear{Name: join(name, "to_k"), In: context, Out: inner},
		V:     Linear{Name: join(name, "to_v"), In: context, Out: inner},
		Out:   Linear{Name: join(name, "to_out", "0"), In: inner, Out: dim, Bias: true},
		Heads: heads, HeadDim: dim / heads, Cross: cross, Upcast: upcast,
	}
}
