package gpugraph

import (
	"fmt"
	"math"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

func u(n int) uint32 { return uint32(n) }

// linear applies l to every row of x: y = act(x·Wᵀ + b) (+ res). Rows of x may be strided.
func (b *builder) linear(x Seq, l weights.Linear, act wgsl.Act, res *Seq) Seq {
	if x.C != l.In {
		b.fail(fmt.Errorf("graph: %s: input width %d, want %d", l.Name, x.C, l.In))
	}
	out := seq(b.act(l.Name, x.Rows()*l.Out), x.B, x.L, l.Out)
	b.linearInto(x, l, act, res, out)
	return out
}

// linearInto is linear writing into out (which may be a slice of a bigger tensor).
func (b *builder) linearInto(x Seq, l weights.Linear, act wgsl.Act, res *Seq, out Seq) {
	w := b.weight(l.WeightName(), l.In*l.Out, true)
	k := wgsl.MatMul{BF16: b.f16, Bias: l.Bias, Residual: res != nil, Act: act, Small: wgsl.SmallTile(u(x.L), u(l.Out))}
	p := wgsl.MatMulParams{M: u(x.L), N: u(l.Out), K: u(l.In), Batch1: u(x.B), Batch2: 1,
		AOff: u(x.Off), AB1: u(x.BatchStride()), AM: u(x.RowStride), AK: 1,
		BN: u(l.In), BK: 1,
		COff: u(out.Off), CB1: u(out.BatchStride()), CM: u(out.RowStride), CN: 1,
		Alpha: 1, OutScale: 1}
	args := []ID{x.T, w}
	if l.Bias {
		args = append(args, b.weight(l.BiasName(), l.Out, false))
	}
	if res != nil {
		p.ROff, p.RB1, p.RM, p.RN = u(res.Off), u(res.BatchStride()), u(res.RowStride), 1
		args = append(args, res.T)
	}
	b.op(l.Name, k, p, append(args, out.T)...)
}

// linearFromMap applies l to every pixel of an NCHW map, giving token rows [B, HW, Out]
// (Transformer2D's proj_in, the VAE attention's q/k/v): the transpose is in the strides.
func (b *builder) linearFromMap(x Map, l weights.Linear) Seq {
	w := b.weight(l.WeightName(), l.In*l.Out, true)
	out := seq(b.act(l.Name, x.B*x.HW()*l.Out), x.B, x.HW(), l.Out)
	k := wgsl.MatMul{BF16: b.f16, Bias: l.Bias, Small: wgsl.SmallTile(u(x.HW()), u(l.Out))}
	p := wgsl.MatMulParams{M: u(x.HW()), N: u(l.Out), K: u(l.In), Batch1: u(x.B), Batch2: 1,
		AOff: u(x.Off), AB1: u(x.C * x.HW()), AM: 1, AK: u(x.HW()),
		BN: u(l.In), BK: 1, CB1: u(x.HW() * l.Out), CM: u(l.Out), CN: 1, Alpha: 1, OutScale: 1}
	args := []ID{x.T, w}
	if l.Bias {
		args = append(args, b.weight(l.BiasName(), l.Out, false))
	}
	b.op(l.Name, k, p, append(args, out.T)...)
	return out
}

// linearToMap applies l to token rows and writes an NCHW map of h x w, adding res (a map of the
// same shape): proj_out + residual of Transformer2D, proj_attn + residual in the VAE.
func (b *builder) linearToMap(x Seq, l weights.Linear, h, w int, res Map, outScale float64) Map {
	wt := b.weight(l.WeightName(), l.In*l.Out, true)
	out := Map{T: b.act(l.Name, x.B*l.Out*h*w), B: x.B, C: l.Out, H: h, W: w}
	hw := h * w
	k := wgsl.MatMul{BF16: b.f16, Bias: l.Bias, Residual: true, Small: wgsl.SmallTile(u(hw), u(l.Out))}
	p := wgsl.MatMulParams{M: u(hw), N: u(l.Out), K: u(l.In), Batch1: u(x.B), Batch2: 1,
		AOff: u(x.Off), AB1: u(x.BatchStride()), AM: u(x.RowStride), AK: 1,
		BN: u(l.In), BK: 1, CB1: u(l.Out * hw), CM: 1, CN: u(hw),
		ROff: u(res.Off), RB1: u(res.C * hw), RM: 1, RN: u(hw), Alpha: 1, OutScale: float32(outScale)}
	args := []ID{x.T, wt}
	if l.Bias {
		args = append(args, b.weight(l.BiasName(), l.Out, false))
	}
	b.op(l.Name, k, p, append(args, res.T, out.T)...)
	return out
}

// convOpts are the fused extras of a convolution.
type convOpts struct {
	bias2    *ID // per-sample, per-channel bias [B, Out] (time embedding projection)
	res      *Map
	upsample bool
	outScale float64
	name     string // tensor name when not c.Name
}

func (b *builder) conv(x Map, c weights.Conv2D, o convOpts) Map {
	if x.C != c.In {
		b.fail(fmt.Errorf("graph: %s: %d input channels, want %d", c.Name, x.C, c.In))
	}
	ih, iw := x.H, x.W
	if o.upsample {
		ih, iw = 2*ih, 2*iw
	}
	oh := (ih+c.Pad.Top+c.Pad.Bottom-c.Kernel)/c.Stride + 1
	ow := (iw+c.Pad.Left+c.Pad.Right-c.Kernel)/c.Stride + 1
	name := o.name
	if name == "" {
		name = c.Name
	}
	out := Map{T: b.act(name, x.B*c.Out*oh*ow), B: x.B, C: c.Out, H: oh, W: ow}
	if o.outScale == 0 {
		o.outScale = 1
	}
	if !c.Bias {
		b.fail(fmt.Errorf("graph: %s: convolution without bias is not supported", c.Name))
	}
	k := wgsl.Conv2D{WF16: b.f16, Bias2: o.bias2 != nil, Residual: o.res != nil, Upsample: o.upsample,
		Small: wgsl.SmallTile(u(c.Out), u(oh*ow))}
	p := wgsl.Conv2DParams{Cin: u(c.In), H: u(x.H), W: u(x.W), Cout: u(c.Out), OH: u(oh), OW: u(ow),
		KH: u(c.Kernel), KW: u(c.Kernel), Stride: u(c.Stride), PadT: u(c.Pad.Top), PadL: u(c.Pad.Left),
		InOff: u(x.Off), InB: u(x.C * x.HW()), OutB: u(c.Out * oh * ow), Bias2B: u(c.Out),
		OutScale: float32(o.outScale), Batch: u(x.B)}
	args := []ID{x.T, b.weight(c.WeightName(), c.Out*c.In*c.Kernel*c.Kernel, true), b.weight(c.BiasName(), c.Out, false)}
	if o.bias2 != nil {
		args = append(args, *o.bias2)
	}
	if o.res != nil {
		p.ROff, p.RB = u(o.res.Off), u(o.res.C*o.res.HW())
		args = append(args, o.res.T)
	}
	b.op(c.Name, k, p, append(args, out.T)...)
	return out
}

func (b *builder) groupNorm(x Map, g weights.GroupNorm, silu bool) Map {
	out := Map{T: b.act(g.Name, x.Len()), B: x.B, C: x.C, H: x.H, W: x.W}
	p := wgsl.GroupNormParams{C: u(x.C), HW: u(x.HW()), Groups: u(g.Groups), Batch: u(x.B),
		InOff: u(x.Off), InB: u(x.C * x.HW()), OutB: u(x.C * x.HW()), Eps: float32(g.Eps)}
	k := wgsl.GroupNorm{SiLU: silu, GroupPerThread: x.C/g.Groups*x.HW() <= wgsl.SmallGroup}
	b.op(g.Name, k, p, x.T, b.weight(g.Name+".weight", g.Channels, false),
		b.weight(g.Name+".bias", g.Channels, false), out.T)
	return out
}

func (b *builder) layerNorm(x Seq, l weights.LayerNorm) Seq {
	if x.RowStride != x.C || x.Off != 0 {
		b.fail(fmt.Errorf("graph: %s: layer norm of a strided sequence", l.Name))
	}
	out := seq(b.act(l.Name, x.Rows()*x.C), x.B, x.L, x.C)
	p := wgsl.LayerNormParams{Rows: u(x.Rows()), C: u(x.C), Eps: float32(l.Eps)}
	b.op(l.Name, wgsl.LayerNorm{RowPerThread: x.C <= wgsl.NarrowRow}, p, x.T, b.weight(l.Name+".weight", l.Dim, false),
		b.weight(l.Name+".bias", l.Dim, false), out.T)
	return out
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// attnEdit is the Cones 2 layout edit of one cross-attention layer.
type attnEdit struct {
	wmap    ID // [Tq, 77] layout weights on this layer's grid
	scal    ID // step scalars: coef at coefIdx, std written at stdIdx
	batch   int
	coefIdx int
	stdIdx  int
}

// attention runs softmax(scale·Q·Kᵀ [+edit])·V per head. Heads up to wgsl.MaxFlashHeadDim use
// the online-softmax kernel (no score matrix); wider ones (the VAE's) go through chunks of
// queries: scores by matmul, softmax, then ·V, with chunks sized to the binding limit.
func (b *builder) attention(name string, q, k, v Seq, heads, dh int, scale float64, causal bool, edit *attnEdit) Seq {
	out := seq(b.act(name+".out", q.Rows()*heads*dh), q.B, q.L, heads*dh)
	if edit != nil {
		b.scoreStd(name, q, k, heads, dh, edit)
	}
	flash := dh <= b.flashMax() && dh%4 == 0
	if !flash && (causal || edit != nil) && dh <= wgsl.MaxFlashHeadDim {
		flash = dh%4 == 0 // the chunked path has no causal mask or layout edit
	}
	if flash || causal || edit != nil {
		kern, err := wgsl.NewAttention(dh, causal, edit != nil)
		if err != nil {
			b.fail(err)
			return out
		}
		p := wgsl.AttentionParams{Heads: u(heads), Tq: u(q.L), Tk: u(k.L), Dh: u(dh),
			QOff: u(q.Off), QB: u(q.BatchStride()), QT: u(q.RowStride),
			KOff: u(k.Off), KB: u(k.BatchStride()), KT: u(k.RowStride),
			VOff: u(v.Off), VB: u(v.BatchStride()), VT: u(v.RowStride),
			OB: u(out.BatchStride()), OT: u(out.RowStride), Scale: float32(scale), Batch: u(q.B), EditBatch: math.MaxUint32}
		args := []ID{q.T, k.T, v.T}
		if edit != nil {
			p.WQ, p.EditBatch, p.CoefIdx, p.StdIdx = u(k.L), u(edit.batch), u(edit.coefIdx), u(edit.stdIdx)
			args = append(args, edit.wmap, edit.scal)
		}
		b.op(name, kern, p, append(args, out.T)...)
		return out
	}
	b.chunkedAttention(name, q, k, v, heads, dh, scale, out)
	return out
}

// flashMax is the widest head the online-softmax kernel takes in this graph.
func (b *builder) flashMax() int {
	if b.flash > 0 {
		return b.flash
	}
	return wgsl.MaxFlashHeadDim
}

// chunkedAttention is attention for wide heads: for chunks of queries, S = scale·Q·Kᵀ (matmul),
// softmax rows in place, O = S·V (matmul). One score buffer, reused by every chunk.
func (b *builder) chunkedAttention(name string, q, k, v Seq, heads, dh int, scale float64, out Seq) {
	per := uint64(4 * q.B * heads * k.L) // bytes of one query row of scores
	budget := min(b.limit, ScoreChunkBytes)
	cq := int(min(uint64(q.L), max(1, budget/per)))
	s := b.act(name+".scores", q.B*heads*cq*k.L)
	for q0 := 0; q0 < q.L; q0 += cq {
		n := min(cq, q.L-q0)
		sb2, sb1 := n*k.L, heads*n*k.L
		// S[b,h,i,j] = scale * sum_d Q[b, q0+i, h*dh+d] * K[b, j, h*dh+d]
		b.op(name+".scores", wgsl.MatMul{}, wgsl.MatMulParams{M: u(n), N: u(k.L), K: u(dh), Batch1: u(q.B), Batch2: u(heads),
			AOff: u(q.Off + q0*q.RowStride), AB1: u(q.BatchStride()), AB2: u(dh), AM: u(q.RowStride), AK: 1,
			BOff: u(k.Off), BB1: u(k.BatchStride()), BB2: u(dh), BN: u(k.RowStride), BK: 1,
			CB1: u(sb1), CB2: u(sb2), CM: u(k.L), CN: 1, Alpha: float32(scale), OutScale: 1}, q.T, k.T, s)
		b.op(name+".softmax", wgsl.Softmax{}, wgsl.SoftmaxParams{Rows: u(q.B * heads * n), Cols: u(k.L), RowStride: u(k.L)}, s)
		// O[b, q0+i, h*dh+d] = sum_j S[b,h,i,j] * V[b, j, h*dh+d]
		b.op(name+".values", wgsl.MatMul{}, wgsl.MatMulParams{M: u(n), N: u(dh), K: u(k.L), Batch1: u(q.B), Batch2: u(heads),
			AB1: u(sb1), AB2: u(sb2), AM: u(k.L), AK: 1,
			BOff: u(v.Off), BB1: u(v.BatchStride()), BB2: u(dh), BN: 1, BK: u(v.RowStride),
			COff: u(out.Off + q0*out.RowStride), CB1: u(out.BatchStride()), CB2: u(dh), CM: u(out.RowStride), CN: 1,
			Alpha: 1, OutScale: 1}, s, v.T, out.T)
	}
}

// ScoreChunkBytes caps the score buffer of chunked attention (more only means fewer dispatches).
const ScoreChunkBytes = 64 << 20

// scoreStd writes the unbiased std of the layer's raw scores over sample edit.batch (all heads,
// queries, keys) to scal[edit.stdIdx]: partial statistics per workgroup, then one merge.
func (b *builder) scoreStd(name string, q, k Seq, heads, dh int, edit *attnEdit) {
	p := wgsl.ScoreStatsParams{Heads: u(heads), Tq: u(q.L), Tk: u(k.L), Dh: u(dh),
		QOff: u(q.Off), QB: u(q.BatchStride()), QT: u(q.RowStride),
		KOff: u(k.Off), KB: u(k.BatchStride()), KT: u(k.RowStride), Batch: u(edit.batch), StdIdx: u(edit.stdIdx)}
	p.NPart = p.Partials()
	part := b.act(name+".score_partials", int(3*p.NPart))
	b.op(name+".score_std", wgsl.ScoreStats{}, p, q.T, k.T, part)
	b.g.Ops[len(b.g.Ops)-1].Guided = true
	b.op(name+".score_std", wgsl.ScoreStats{Final: true}, p, part, edit.scal)
	b.g.Ops[len(b.g.Ops)-1].Guided = true
}
