package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// TextOptions shape a text-encoder graph.
type TextOptions struct {
	Batch int
	F16   bool
	Limit uint64
	// Residual adds input "delta" ([L, D]: each subject's residual at its token rows, zeros
	// elsewhere) to the last sample, giving output "context": the Cones 2 conditioning, with
	// sample 0 (the unconditional prompt) unchanged.
	Residual bool
}

// TextEncoder builds the CLIP text encoder: input "ids" ([B, L] token ids, L the position count),
// output "hidden" (last_hidden_state [B, L, D]) and, with Residual, "context".
func TextEncoder(te *weights.TextEncoder, o TextOptions) (*Graph, error) {
	c := te.Config
	act, err := wgsl.ParseAct(c.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("graph: text encoder: %w", err)
	}
	if o.Batch < 1 || (o.Residual && o.Batch < 2) {
		return nil, fmt.Errorf("graph: text encoder batch %d", o.Batch)
	}
	b := newBuilder(o.F16, limitOr(o.Limit))
	l, d := c.MaxPositionEmbeddings, c.HiddenSize
	ids := b.input("ids", wgsl.U32, o.Batch*l)
	x := seq(b.act("embeddings", o.Batch*l*d), o.Batch, l, d)
	b.op("embeddings", wgsl.Embed{F16: o.F16}, wgsl.EmbedParams{Rows: u32(o.Batch * l), T: u32(l), D: u32(d), Vocab: u32(c.VocabSize)},
		ids, b.weight(te.TokenEmbedding.Name+".weight", c.VocabSize*d, true),
		b.weight(te.PositionEmbedding.Name+".weight", l*d, true), x.T)
	for _, ly := range te.Layers {
		x = b.attentionModule(b.layerNorm(x, ly.Norm1), ly.Attn, nil, x, nil)
		h := b.linear(b.layerNorm(x, ly.Norm2), ly.FC1, act, nil)
		x = b.linear(h, ly.FC2, wgsl.ActNone, &x)
	}
	hidden := b.layerNorm(x, te.FinalNorm)
	b.output("hidden", hidden.T)
	if o.Residual {
		delta := b.input("delta", wgsl.F32, l*d)
		ctx := b.act("context", o.Batch*l*d)
		n, last := (o.Batch-1)*l*d, (o.Batch-1)*l*d
		b.op("context.copy", wgsl.Eltwise{Op: wgsl.EltScale}, wgsl.EltwiseParams{N: u32(n), S: 1}, hidden.T, ctx)
		b.op("context.residual", wgsl.Eltwise{Op: wgsl.EltAdd}, wgsl.EltwiseParams{N: u32(l * d), XOff: u32(last), OutOff: u32(last), S: 1},
			hidden.T, delta, ctx)
		b.output("context", ctx)
	}
	return b.finish()
}
