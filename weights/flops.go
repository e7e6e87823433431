package weights

// FLOPs counts the floating-point operations of one network evaluation from its description,
// as 2 per multiply-add of the matrix products: convolutions (2·out·in·k²·pixels), linear
// layers (2·in·out·tokens) and attention (2·queries·keys·width for Q·Kᵀ and again for the
// product with V). Normalisations, activations, softmax and additions are left out: they are a
// few operations per value, well under 1% of Stable Diffusion's total, and memory-bound.
type FLOPs struct {
	Conv, Linear, Attention float64
}

// Total is the sum of the parts.
func (f FLOPs) Total() float64 { return f.Conv + f.Linear + f.Attention }

// FLOPs counts one evaluation of a batch of latents h×w with textLen text tokens.
func (u *UNet) FLOPs(batch, h, w, textLen int) FLOPs {
	c := &FLOPCounter{Batch: batch, TextLen: textLen}
	c.linear(u.TimeEmbedding.Linear1, batch)
	c.linear(u.TimeEmbedding.Linear2, batch)
	WalkUNet(u, struct{}{}, Grid{H: h, W: w}, c)
	return c.Count
}

// DecodeFLOPs counts one decode of a batch of latents h×w.
func (v *VAE) DecodeFLOPs(batch, h, w int) FLOPs {
	c := &FLOPCounter{Batch: batch}
	WalkVAEDecoder(v, struct{}{}, Grid{H: h, W: w}, c)
	return c.Count
}

// FLOPs counts one encoding of a batch of n tokens. Its layers run one after the other on n
// tokens each, so it needs no walk.
func (t *TextEncoder) FLOPs(batch, n int) FLOPs {
	c := &FLOPCounter{Batch: batch}
	for _, l := range t.Layers {
		c.attention(l.Attn, n, n)
		c.linear(l.FC1, batch*n)
		c.linear(l.FC2, batch*n)
	}
	return c.Count
}

// FLOPCounter is the Visitor behind the counts: walk a network, or one block (WalkBlock), with
// it and read Count.
type FLOPCounter struct {
	Batch   int
	TextLen int // keys of the UNet's cross-attention
	Count   FLOPs
}

// Conv counts c over its output grid.
func (f *FLOPCounter) Conv(x struct{}, c Conv2D, out Grid) struct{} {
	f.Count.Conv += 2 * float64(f.Batch*out.Pixels()) * float64(c.Out*c.In*c.Kernel*c.Kernel)
	return x
}

// Upsample counts c over the doubled grid.
func (f *FLOPCounter) Upsample(x struct{}, c Conv2D, out Grid) struct{} { return f.Conv(x, c, out) }

// Resnet counts both convolutions, the shortcut and the time-embedding projection.
func (f *FLOPCounter) Resnet(x struct{}, r ResnetBlock, at Grid) struct{} {
	f.Conv(x, r.Conv1, at)
	f.Conv(x, r.Conv2, at)
	if r.Shortcut != nil {
		f.Conv(x, *r.Shortcut, at)
	}
	if r.TimeEmbProj != nil {
		f.linear(*r.TimeEmbProj, f.Batch)
	}
	return x
}

// Concat copies, which is not counted.
func (f *FLOPCounter) Concat(h, _ struct{}, _ ResnetBlock, _ Grid) struct{} { return h }

// Transformer counts the projections, both attentions and the feed-forward.
func (f *FLOPCounter) Transformer(x struct{}, t Transformer2D, at Grid) struct{} {
	n := at.Pixels()
	f.linear(t.ProjIn, f.Batch*n)
	for _, b := range t.Blocks {
		f.attention(b.Attn1, n, n)
		f.attention(b.Attn2, n, f.TextLen)
		f.linear(b.FF.Proj, f.Batch*n)
		f.linear(b.FF.Out, f.Batch*n)
	}
	f.linear(t.ProjOut, f.Batch*n)
	return x
}

// VAEAttention counts the self-attention over every pixel.
func (f *FLOPCounter) VAEAttention(x struct{}, a VAEAttention, at Grid) struct{} {
	f.attention(a.Attn, at.Pixels(), at.Pixels())
	return x
}

// NormAct is not counted.
func (f *FLOPCounter) NormAct(x struct{}, _ GroupNorm, _ Grid) struct{} { return x }

func (f *FLOPCounter) linear(l Linear, tokens int) {
	f.Count.Linear += 2 * float64(tokens) * float64(l.In*l.Out)
}

// attention counts the projections and both products of d for n queries and m keys per item.
func (f *FLOPCounter) attention(d Attention, n, m int) {
	b := f.Batch
	f.linear(d.Q, b*n)
	f.linear(d.K, b*m)
	f.linear(d.V, b*m)
	f.linear(d.Out, b*n)
	width := d.Heads * d.HeadDim
	f.Count.Attention += 2 * 2 * float64(b) * float64(n) * float64(m) * float64(width)
}
