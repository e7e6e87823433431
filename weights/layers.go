package weights

import "math"

// Param is one tensor a description expects in the weight files.
type Param struct {
	Name  string // diffusers/transformers state-dict name, e.g. "conv_in.weight"
	Shape []int  // PyTorch layout: [out, in] for linears, [out, in, kh, kw] for convolutions
	// DType is what a reference float32 checkpoint stores: F32 for weights (F16 and BF16 files
	// are accepted too) and I64 for integer buffers.
	DType DType
	// Optional parameters may be missing from the files; they are integer buffers that the
	// engines recompute (the text encoder's position_ids) and are never loaded as weights.
	Optional bool
	// Aliases are other spellings of Name that older or newer writers use (see renames.go).
	Aliases []string
}

// NumElements is the product of the shape.
func (p Param) NumElements() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Module is anything that lists the parameters it needs: every description type, from a Linear
// to a whole UNet.
type Module interface {
	Params() []Param
}

// join builds a dotted state-dict name.
func join(prefix string, parts ...string) string {
	out := prefix
	for _, p := range parts {
		if out == "" {
			out = p
		} else {
			out += "." + p
		}
	}
	return out
}

func weight(name string, shape ...int) Param { return Param{Name: name, Shape: shape, DType: F32} }

// Linear is y = x·Wᵀ + b with W of shape [Out, In].
type Linear struct {
	Name    string
	In, Out int
	Bias    bool
	// Conv1x1 marks a linear map stored as a 1x1 convolution ([Out, In, 1, 1]), as diffusers'
	// Transformer2DModel does for proj_in/proj_out when use_linear_projection is false. The
	// values are laid out exactly like [Out, In], and the map on each pixel is the same.
	Conv1x1 bool
}

// WeightName is Name + ".weight".
func (l Linear) WeightName() string { return join(l.Name, "weight") }

// BiasName is Name + ".bias".
func (l Linear) BiasName() string { return join(l.Name, "bias") }

// Params lists the weight and, if present, the bias.
func (l Linear) Params() []Param {
	w := weight(l.WeightName(), l.Out, l.In)
	if l.Conv1x1 {
		w.Shape = append(w.Shape, 1, 1)
	}
	ps := []Param{w}
	if l.Bias {
		ps = append(ps, weight(l.BiasName(), l.Out))
	}
	return ps
}

// Padding is the zero padding of a convolution's input on each side, in pixels.
type Padding struct{ Top, Bottom, Left, Right int }

// Same pads p pixels on every side.
func Same(p int) Padding { return Padding{p, p, p, p} }

// Symmetric reports whether all four sides are padded alike.
func (p Padding) Symmetric() bool { return p.Top == p.Bottom && p.Left == p.Right && p.Top == p.Left }

// Conv2D is a 2-D cross-correlation (PyTorch Conv2d) with a square kernel, weight
// [Out, In, Kernel, Kernel] and a bias of Out.
type Conv2D struct {
	Name           string
	In, Out        int
	Kernel, Stride int
	// Pad is applied before the convolution. It is Same(Kernel/2) everywhere except for
	// stride-2 downsamplers built with padding 0 (the VAE encoder's), which pad only the
	// bottom and right edge by one pixel: Padding{0, 1, 0, 1}.
	Pad  Padding
	Bias bool
}

// WeightName is Name + ".weight".
func (c Conv2D) WeightName() string { return join(c.Name, "weight") }

// BiasName is Name + ".bias".
func (c Conv2D) BiasName() string { return join(c.Name, "bias") }

// OutSize is the output side length for an input side of n along the height.
func (c Conv2D) OutSize(n int) int { return (n+c.Pad.Top+c.Pad.Bottom-c.Kernel)/c.Stride + 1 }

// OutWidth is the output side length for an input side of n along the width.
func (c Conv2D) OutWidth(n int) int { return (n+c.Pad.Left+c.Pad.Right-c.Kernel)/c.Stride + 1 }

// Params lists the weight and bias.
func (c Conv2D) Params() []Param {
	ps := []Param{weight(c.WeightName(), c.Out, c.In, c.Kernel, c.Kernel)}
	if c.Bias {
		ps = append(ps, weight(c.BiasName(), c.Out))
	}
	return ps
}

func conv(name string, in, out, kernel int) Conv2D {
	return Conv2D{Name: name, In: in, Out: out, Kernel: kernel, Stride: 1, Pad: Same(kernel / 2), Bias: true}
}

// GroupNorm normalises Channels split into Groups groups, then applies a per-channel affine
// weight and bias.
type GroupNorm struct {
	Name             string
	Groups, Channels int
	Eps              float64
}

// Params lists weight and bias, each of Channels.
func (g GroupNorm) Params() []Param {
	return []Param{weight(join(g.Name, "weight"), g.Channels), weight(join(g.Name, "bias"), g.Channels)}
}

// LayerNorm normalises the last axis of width Dim, then applies an affine weight and bias.
type LayerNorm struct {
	Name string
	Dim  int
	Eps  float64
}

// Params lists weight and bias, each of Dim.
func (l LayerNorm) Params() []Param {
	return []Param{weight(join(l.Name, "weight"), l.Dim), weight(join(l.Name, "bias"), l.Dim)}
}

// Embedding is a lookup table of Count rows of width Dim.
type Embedding struct {
	Name       string
	Count, Dim int
}

// Params lists the table.
func (e Embedding) Params() []Param { return []Param{weight(join(e.Name, "weight"), e.Count, e.Dim)} }

// Attention is multi-head scaled dot-product attention with its four projections. It describes
// the UNet's attn1 (self) and attn2 (cross, keys and values from the text embedding), CLIP's
// causal self-attention and the VAE's single-head spatial attention alike:
//
//	out = Out(softmax(Q(x)·K(ctx)ᵀ · Scale() [+ causal mask]) · V(ctx))
//
// computed per head of HeadDim channels, ctx being x itself unless Cross.
type Attention struct {
	Name           string
	Q, K, V, Out   Linear
	Heads, HeadDim int
	Cross          bool // keys and values come from the encoder hidden states (attn2)
	Causal         bool // each query sees only keys at or before its position (CLIP)
	// Upcast is diffusers' upcast_attention: form the scores in float32 even when the model
	// runs in float16 (SD 2.1 768 overflows fp16 there otherwise).
	Upcast bool
}

// Scale is the softmax temperature 1/sqrt(HeadDim).
func (a Attention) Scale() float64 { return 1 / math.Sqrt(float64(a.HeadDim)) }

// Params lists q, k, v and out projections.
func (a Attention) Params() []Param { return collect(a.Q, a.K, a.V, a.Out) }

// collect concatenates the parameters of modules in order.
func collect(ms ...Module) []Param {
	var out []Param
	for _, m := range ms {
		out = append(out, m.Params()...)
	}
	return out
}
