package weights

import "fmt"

// CLIPLayer is one pre-norm transformer layer of the CLIP text encoder:
//
//	x = Attn(Norm1(x)) + x        causal self-attention, q/k/v/out with bias
//	x = FC2(act(FC1(Norm2(x)))) + x
//
// act is Act: "gelu" (exact, erf) or "quick_gelu" (x·sigmoid(1.702x)).
type CLIPLayer struct {
	Name         string
	Norm1, Norm2 LayerNorm
	Attn         Attention
	FC1, FC2     Linear
	Act          string
}

// Params lists the layer's parameters in the order they run.
func (l CLIPLayer) Params() []Param { return collect(l.Norm1, l.Attn, l.Norm2, l.FC1, l.FC2) }

// TextEncoder describes transformers' CLIPTextModel up to last_hidden_state, which is what
// Stable Diffusion conditions on:
//
//	x = TokenEmbedding[ids] + PositionEmbedding[0..len)
//	x = Layers(x)
//	last_hidden_state = FinalNorm(x)
//
// The pooled output and any projection are not used and have no parameters here.
type TextEncoder struct {
	Config            TextEncoderConfig
	TokenEmbedding    Embedding
	PositionEmbedding Embedding
	// PositionIDs is the [1, max_positions] int64 buffer 0, 1, 2, ... that many checkpoints
	// carry; it is optional and never loaded (positions are always 0..n-1).
	PositionIDs Param
	Layers      []CLIPLayer
	FinalNorm   LayerNorm
}

// DescribeTextEncoder builds the description of a CLIP text encoder from its validated config.
func DescribeTextEncoder(c TextEncoderConfig) (*TextEncoder, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	const p = "text_model"
	w, eps := c.HiddenSize, c.LayerNormEps
	te := &TextEncoder{
		Config:            c,
		TokenEmbedding:    Embedding{Name: p + ".embeddings.token_embedding", Count: c.VocabSize, Dim: w},
		PositionEmbedding: Embedding{Name: p + ".embeddings.position_embedding", Count: c.MaxPositionEmbeddings, Dim: w},
		PositionIDs: Param{Name: p + ".embeddings.position_ids", Shape: []int{1, c.MaxPositionEmbeddings},
			DType: I64, Optional: true},
		FinalNorm: LayerNorm{Name: p + ".final_layer_norm", Dim: w, Eps: eps},
	}
	for i := range c.NumHiddenLayers {
		n := fmt.Sprintf("%s.encoder.layers.%d", p, i)
		lin := func(name string, in, out int) Linear {
			return Linear{Name: join(n, name), In: in, Out: out, Bias: true}
		}
		te.Layers = append(te.Layers, CLIPLayer{
			Name:  n,
			Norm1: LayerNorm{Name: join(n, "layer_norm1"), Dim: w, Eps: eps},
			Attn: Attention{
				Name: join(n, "self_attn"),
				Q:    lin("self_attn.q_proj", w, w), K: lin("self_attn.k_proj", w, w),
				V: lin("self_attn.v_proj", w, w), Out: lin("self_attn.out_proj", w, w),
				Heads: c.NumAttentionHeads, HeadDim: w / c.NumAttentionHeads, Causal: true,
			},
			Norm2: LayerNorm{Name: join(n, "layer_norm2"), Dim: w, Eps: eps},
			FC1:   lin("mlp.fc1", w, c.IntermediateSize),
			FC2:   lin("mlp.fc2", c.IntermediateSize, w),
			Act:   c.HiddenAct,
		})
	}
	return te, nil
}

// Width is the hidden size: the length of one token's embedding, and of a Cones 2 residual.
func (t *TextEncoder) Width() int { return t.Config.HiddenSize }

// Params lists the embeddings, the layers and the final norm.
func (t *TextEncoder) Params() []Param {
	ps := collect(t.TokenEmbedding, t.PositionEmbedding)
	ps = append(ps, t.PositionIDs)
	for _, l := range t.Layers {
		ps = append(ps, l.Params()...)
	}
	return append(ps, t.FinalNorm.Params()...)
}
