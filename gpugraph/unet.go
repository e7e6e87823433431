package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// UNetOptions shape one UNet evaluation graph.
type UNetOptions struct {
	Batch int // 2 for classifier-free guidance: sample 0 unconditional, sample 1 conditional
	H, W  int // latent size
	F16   bool
	// Limit is the largest buffer a kernel may bind (bytes); 0 means WebGPU's default 128 MiB.
	Limit uint64
	// Edit enables the Cones 2 layout edit in every cross-attention layer, on sample EditBatch;
	// the maps are inputs "layout.<queries>" ([queries, context length], one per grid size).
	Edit      bool
	EditBatch int
	// CFG adds output "guided" = out[0] + s·(out[1] - out[0]) (Batch must be 2), s the CFG scale
	// in the scalars: changing it between runs rebuilds nothing.
	CFG bool
	// TextKV takes the keys and values of every cross-attention layer as inputs (TextKInput,
	// TextVInput of the layer) instead of projecting "context" in every evaluation: they depend
	// only on the text, so a generation computes them once (UNetTextKV) and binds them here.
	TextKV bool
	// FlashMaxHeadDim, when positive, lowers the widest head that uses the online-softmax kernel;
	// wider non-causal, unedited heads take the chunked matmul + softmax path (tests of that path).
	FlashMaxHeadDim int
}

// Scalars is the layout of a graph's "scalars" input, the per-step uniform: every value that
// changes between evaluations of one generation (timestep embedding, edit strength, CFG scale)
// is written here before each evaluation with one buffer write, so no bind group depends on
// them; the std slot is written by the GPU during the evaluation.
type Scalars struct {
	T    int // timesteps of samples 0..Batch-1 start here (for the record; the GPU reads TP)
	Coef int // guidance_weight·log(1+σ²) of this step (0: no layout edit)
	Std  int // written by the score-std kernels, read by the edited attention
	CFG  int // classifier-free guidance scale
	TP   int // the sinusoidal timestep projection of samples 0..Batch-1, Dim values each
	Dim  int
	Len  int
}

// UNetScalars is the scalars layout of a UNet graph of batch b whose timestep projection has
// tp channels.
func UNetScalars(b, tp int) Scalars {
	return Scalars{T: 0, Coef: b, Std: b + 1, CFG: b + 2, TP: b + 3, Dim: tp, Len: b + 3 + b*tp}
}

// StepScalars fills the scalars of one evaluation of u at batch b: timestep t for every sample
// (its projection computed on the host by weights.Timesteps.Embed), the edit strength coef and
// the CFG scale.
func StepScalars(u *weights.UNet, b int, t float64, coef, cfg float32) []float32 {
	sc := UNetScalars(b, u.TimeProj.Channels)
	out := make([]float32, sc.Len)
	ts := make([]float32, b)
	for i := range ts {
		ts[i] = float32(t)
		out[sc.T+i] = float32(t)
	}
	out[sc.Coef], out[sc.CFG] = coef, cfg
	copy(out[sc.TP:], u.TimeProj.Embed(ts))
	return out
}

// TextKInput and TextVInput name the cached keys and values of cross-attention layer a.
func TextKInput(a string) string { return a + ".text_k" }
func TextVInput(a string) string { return a + ".text_v" }

// UNetTextKV builds the text keys and values of every cross-attention layer of u from input
// "context" [Batch, 77, cross dim]: outputs TextKInput/TextVInput of each layer, the inputs of a
// UNet graph with TextKV. A generation runs it once, after the text encoder.
func UNetTextKV(u *weights.UNet, o UNetOptions) (*Graph, error) {
	b := newBuilder(o.F16, limitOr(o.Limit))
	const ctxLen = 77
	ctx := seq(b.input("context", wgsl.F32, o.Batch*ctxLen*u.Config.CrossAttentionDim), o.Batch, ctxLen, u.Config.CrossAttentionDim)
	for _, t := range u.Transformers() {
		for _, blk := range t.Blocks {
			for _, a := range []weights.Attention{blk.Attn1, blk.Attn2} {
				if !a.Cross {
					continue
				}
				k, v := b.textKV(ctx, a)
				b.output(TextKInput(a.Name), k.T)
				b.output(TextVInput(a.Name), v.T)
			}
		}
	}
	return b.finish()
}

// DefaultLimit is WebGPU's guaranteed maxStorageBufferBindingSize.
const DefaultLimit = 128 << 20

func limitOr(l uint64) uint64 {
	if l == 0 {
		return DefaultLimit
	}
	return l
}

// LayoutInput names the input holding the layout weights of attention layers with n queries.
func LayoutInput(n int) string { return fmt.Sprintf("layout.%d", n) }

// UNet builds one evaluation of u: inputs "sample" [B, in, H, W], "context" [B, L, D] (the text
// embedding), "scalars" (UNetScalars) and, with Edit, the layout maps; output "out" (and "guided").
func UNet(u *weights.UNet, o UNetOptions) (*Graph, error) {
	c := u.Config
	if o.Batch < 1 || (o.CFG && o.Batch != 2) {
		return nil, fmt.Errorf("graph: unet batch %d (CFG needs 2)", o.Batch)
	}
	if f := u.DownsampleFactor(); o.H < 1 || o.W < 1 || o.H%f != 0 || o.W%f != 0 {
		return nil, fmt.Errorf("graph: latent %dx%d is not a positive multiple of %d (image sides must be multiples of %d pixels)",
			o.W, o.H, f, 8*f)
	}
	if c.ActFn != "silu" {
		return nil, fmt.Errorf("graph: unet act_fn %q (only silu)", c.ActFn)
	}
	if o.Edit && (o.EditBatch < 0 || o.EditBatch >= o.Batch) {
		return nil, fmt.Errorf("graph: edit batch %d of %d", o.EditBatch, o.Batch)
	}
	b := newBuilder(o.F16, limitOr(o.Limit))
	b.flash = o.FlashMaxHeadDim
	sc := UNetScalars(o.Batch, u.TimeProj.Channels)
	scal := b.input("scalars", wgsl.F32, sc.Len)
	b.textInputs = o.TextKV
	sample := Map{T: b.input("sample", wgsl.F32, o.Batch*c.InChannels*o.H*o.W), B: o.Batch, C: c.InChannels, H: o.H, W: o.W}
	const ctxLen = 77
	ctx := Seq{T: -1, B: o.Batch, L: ctxLen, C: c.CrossAttentionDim, RowStride: c.CrossAttentionDim}
	if !o.TextKV {
		ctx.T = b.input("context", wgsl.F32, o.Batch*ctxLen*c.CrossAttentionDim)
	}

	stemb := b.timeEmbedding(u, scal, sc, o.Batch)
	edits := map[int]*attnEdit{}
	editFor := func(n int) *attnEdit {
		if !o.Edit {
			return nil
		}
		if e, ok := edits[n]; ok {
			return e
		}
		e := &attnEdit{wmap: b.input(LayoutInput(n), wgsl.F32, n*ctxLen), scal: scal, batch: o.EditBatch,
			coefIdx: sc.Coef, stdIdx: sc.Std}
		edits[n] = e
		return e
	}

	out := weights.WalkUNet(u, sample, weights.Grid{H: o.H, W: o.W}, layers{b: b, temb: &stemb, text: ctx, edit: editFor})
	b.output("out", out.T)
	if o.CFG {
		n := out.Len() / 2
		g := b.act("guided", n)
		b.op("cfg", wgsl.Eltwise{Op: wgsl.EltCFGScalar}, wgsl.EltwiseParams{N: u32(n), YOff: u32(sc.CFG)}, out.T, scal, g)
		b.output("guided", g)
	}
	return b.finish()
}

func u32(n int) uint32 { return uint32(n) }

// timeEmbedding is silu(linear_2(silu(linear_1(sinusoidal(t))))): the projection every resnet's
// time_emb_proj takes (the outer SiLU is the resnets' own nonlinearity, computed once here). The
// sinusoidal projection comes from the host in the scalars (StepScalars).
func (b *builder) timeEmbedding(u *weights.UNet, scal ID, sc Scalars, batch int) Seq {
	tp := u.TimeProj
	proj := Seq{T: scal, Off: sc.TP, B: batch, L: 1, C: tp.Channels, RowStride: tp.Channels}
	te := u.TimeEmbedding
	e := b.linear(proj, te.Linear1, wgsl.ActSiLU, nil)
	e = b.linear(e, te.Linear2, wgsl.ActNone, nil)
	s := b.act("time_embedding.silu", batch*te.Linear2.Out)
	b.op("time_embedding.silu", wgsl.Eltwise{Op: wgsl.EltAct, Act: wgsl.ActSiLU}, wgsl.EltwiseParams{N: u32(batch * te.Linear2.Out)}, e.T, s)
	return seq(s, batch, 1, te.Linear2.Out)
}
