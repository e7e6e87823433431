package gpugraph

import (
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// resnet is weights.ResnetBlock: the time-embedding projection is fused into conv1 as a
// per-sample bias, the shortcut and 1/OutputScale into conv2.
func (b *builder) resnet(x Map, r weights.ResnetBlock, stemb *Seq) Map {
	h := b.groupNorm(x, r.Norm1, true)
	var o convOpts
	if r.TimeEmbProj != nil && stemb != nil {
		e := b.linear(*stemb, *r.TimeEmbProj, wgsl.ActNone, nil)
		o.bias2 = &e.T
	}
	h = b.conv(h, r.Conv1, o)
	h = b.groupNorm(h, r.Norm2, true)
	short := x
	if r.Shortcut != nil {
		short = b.conv(x, *r.Shortcut, convOpts{})
	}
	return b.conv(h, r.Conv2, convOpts{res: &short, outScale: 1 / r.OutputScale})
}

// selfAttention is an Attention module over x itself, with the residual x added by to_out.
func (b *builder) attentionModule(x Seq, a weights.Attention, ctx *Seq, res Seq, edit *attnEdit) Seq {
	q := b.linear(x, a.Q, wgsl.ActNone, nil)
	var k, v Seq
	switch {
	case a.Cross && b.textInputs:
		k = seq(b.input(TextKInput(a.Name), wgsl.F32, ctx.Rows()*a.K.Out), ctx.B, ctx.L, a.K.Out)
		v = seq(b.input(TextVInput(a.Name), wgsl.F32, ctx.Rows()*a.V.Out), ctx.B, ctx.L, a.V.Out)
	case a.Cross:
		k, v = b.textKV(*ctx, a)
	default:
		k = b.linear(x, a.K, wgsl.ActNone, nil)
		v = b.linear(x, a.V, wgsl.ActNone, nil)
	}
	o := b.attention(a.Name, q, k, v, a.Heads, a.HeadDim, a.Scale(), a.Causal, edit)
	return b.linear(o, a.Out, wgsl.ActNone, &res)
}

// textKV projects the text embedding ctx to the keys and values of cross-attention a; its
// dispatches are marked TextKV (the engine counts them).
func (b *builder) textKV(ctx Seq, a weights.Attention) (k, v Seq) {
	k = b.linear(ctx, a.K, wgsl.ActNone, nil)
	b.g.Ops[len(b.g.Ops)-1].TextKV = true
	v = b.linear(ctx, a.V, wgsl.ActNone, nil)
	b.g.Ops[len(b.g.Ops)-1].TextKV = true
	return k, v
}

// feedForward is the GEGLU feed-forward with the residual added by its output linear. When the
// [rows, 2*Inner] projection would exceed the binding limit it runs in chunks of rows.
func (b *builder) feedForward(x Seq, f weights.FeedForward, res Seq) Seq {
	out := seq(b.act(f.Out.Name, x.Rows()*f.Out.Out), x.B, x.L, f.Out.Out)
	rowBytes := uint64(4 * 2 * f.Inner)
	rows := x.Rows()
	chunk := rows
	if uint64(rows)*rowBytes > b.limit {
		chunk = int(max(1, b.limit/rowBytes))
	}
	proj := b.act(f.Proj.Name, chunk*2*f.Inner)
	gated := b.act(f.Name+".geglu", chunk*f.Inner)
	for r0 := 0; r0 < rows; r0 += chunk {
		n := min(chunk, rows-r0)
		// rows of all samples as one batch of n rows
		in := Seq{T: x.T, Off: x.Off + r0*x.RowStride, B: 1, L: n, C: x.C, RowStride: x.RowStride}
		p := seq(proj, 1, n, 2*f.Inner)
		b.linearInto(in, f.Proj, wgsl.ActNone, nil, p)
		b.op(f.Name+".geglu", wgsl.Eltwise{Op: wgsl.EltGEGLU}, wgsl.EltwiseParams{N: u(n * f.Inner), Inner: u(f.Inner), S: 1}, proj, gated)
		r := Seq{T: res.T, Off: res.Off + r0*res.RowStride, B: 1, L: n, C: res.C, RowStride: res.RowStride}
		o := Seq{T: out.T, Off: r0 * out.RowStride, B: 1, L: n, C: out.C, RowStride: out.RowStride}
		b.linearInto(seq(gated, 1, n, f.Inner), f.Out, wgsl.ActNone, &r, o)
	}
	return out
}

// transformer2D is weights.Transformer2D; ctx is the text embedding, edit the layout guidance of
// its cross-attention (nil for none).
func (b *builder) transformer2D(x Map, t weights.Transformer2D, ctx Seq, edit *attnEdit) Map {
	h := b.groupNorm(x, t.Norm, false)
	s := b.linearFromMap(h, t.ProjIn)
	for _, blk := range t.Blocks {
		s = b.attentionModule(b.layerNorm(s, blk.Norm1), blk.Attn1, nil, s, nil)
		s = b.attentionModule(b.layerNorm(s, blk.Norm2), blk.Attn2, &ctx, s, edit)
		s = b.feedForward(b.layerNorm(s, blk.Norm3), blk.FF, s)
	}
	return b.linearToMap(s, t.ProjOut, x.H, x.W, x, 1)
}

// concat stacks a and c along channels (torch.cat([a, c], dim=1)).
func (b *builder) concat(name string, a, c Map) Map {
	out := Map{T: b.act(name, a.B*(a.C+c.C)*a.HW()), B: a.B, C: a.C + c.C, H: a.H, W: a.W}
	dst := u(out.C * out.HW())
	b.op(name+".concat", wgsl.Concat{}, wgsl.ConcatParams{N: u(a.Len()), CsHW: u(a.C * a.HW()), CdHW: dst, SrcOff: u(a.Off)}, a.T, out.T)
	b.op(name+".concat", wgsl.Concat{}, wgsl.ConcatParams{N: u(c.Len()), CsHW: u(c.C * c.HW()), CdHW: dst, SrcOff: u(c.Off),
		DstOff: u(a.C * a.HW())}, c.T, out.T)
	return out
}
