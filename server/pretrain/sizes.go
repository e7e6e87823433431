package pretrain

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
)

// Sizes are the architecture choices of a model, all expressed through standard diffusers and
// transformers config fields (so the browser and server engines run it like any SD checkpoint).
type Sizes struct {
	Image int // image side in pixels

	VAEChannels      []int // block_out_channels; its length sets the downsampling factor
	VAELayers        int   // layers_per_block
	VAEGroups        int   // norm_num_groups
	LatentChannels   int
	UNetChannels     []int // block_out_channels
	UNetLayers       int   // layers_per_block
	UNetHeads        []int // attention_head_dim (heads per block, as diffusers 0.13 reads it)
	UNetGroups       int   // norm_num_groups
	TextWidth        int   // hidden_size = cross_attention_dim
	TextLayers       int
	TextHeads        int
	TextIntermediate int
	MaxTextPositions int // max_position_embeddings: 77, the context layout guidance assumes
	VocabSize        int // BPE target (the tokenizer may stop earlier)
	CrossAttnLevels  int // how many of the UNet's levels (from the top) have cross-attention
}

// DefaultSizes are the sizes of the embedded default model: see docs/evaluation.md for the
// throughput measurements behind them.
func DefaultSizes() Sizes {
	return Sizes{
		Image:       32,
		VAEChannels: []int{16, 32, 64}, VAELayers: 1, VAEGroups: 4, LatentChannels: 4,
		UNetChannels: []int{48, 96}, UNetLayers: 1, UNetHeads: []int{2, 4}, UNetGroups: 8,
		TextWidth: 64, TextLayers: 3, TextHeads: 4, TextIntermediate: 256,
		MaxTextPositions: 77, VocabSize: 1024, CrossAttnLevels: 2,
	}
}

// TestSizes are the smallest sizes that still exercise every block type: for fast tests.
func TestSizes() Sizes {
	return Sizes{
		Image:       16,
		VAEChannels: []int{8, 16}, VAELayers: 1, VAEGroups: 4, LatentChannels: 4,
		UNetChannels: []int{16, 16}, UNetLayers: 1, UNetHeads: []int{2, 2}, UNetGroups: 4,
		TextWidth: 16, TextLayers: 1, TextHeads: 2, TextIntermediate: 32,
		MaxTextPositions: 77, VocabSize: 600, CrossAttnLevels: 1,
	}
}

// LatentSide is the side of the latent grid.
func (s Sizes) LatentSide() int { return s.Image >> (len(s.VAEChannels) - 1) }

// Configs returns the three component configs for a tokenizer of vocab tokens whose special
// token ids are bos, eos and pad, stored as dtype.
func (s Sizes) Configs(vocab, bos, eos, pad int, dtype weights.DType) (weights.TextEncoderConfig, weights.UNetConfig, weights.VAEConfig, error) {
	torchDType := map[weights.DType]string{weights.F16: "float16", weights.F32: "float32"}[dtype]
	te := weights.TextEncoderConfig{
		Architectures: []string{"CLIPTextModel"}, ModelType: "clip_text_model",
		VocabSize: vocab, HiddenSize: s.TextWidth, IntermediateSize: s.TextIntermediate,
		NumHiddenLayers: s.TextLayers, NumAttentionHeads: s.TextHeads,
		MaxPositionEmbeddings: s.MaxTextPositions, HiddenAct: "gelu", LayerNormEps: 1e-5,
		ProjectionDim: s.TextWidth, BosTokenID: bos, EosTokenID: eos, PadTokenID: pad, TorchDtype: torchDType,
	}
	n := len(s.UNetChannels)
	if s.CrossAttnLevels < 1 || s.CrossAttnLevels > n || len(s.UNetHeads) != n {
		return te, weights.UNetConfig{}, weights.VAEConfig{}, fmt.Errorf("pretrain: sizes: %d cross-attention levels and %d head counts for %d UNet levels",
			s.CrossAttnLevels, len(s.UNetHeads), n)
	}
	u := weights.DefaultUNetConfig()
	u.ClassName, u.DiffusersVersion = "UNet2DConditionModel", "0.13.1"
	u.SampleSize = s.LatentSide()
	u.InChannels, u.OutChannels = s.LatentChannels, s.LatentChannels
	u.BlockOutChannels = s.UNetChannels
	u.LayersPerBlock = s.UNetLayers
	u.NormNumGroups = s.UNetGroups
	u.CrossAttentionDim = s.TextWidth
	u.AttentionHeadDim = weights.List(s.UNetHeads...)
	u.UseLinearProjection = true
	u.DownBlockTypes, u.UpBlockTypes = make([]string, n), make([]string, n)
	for i := range n {
		u.DownBlockTypes[i] = "DownBlock2D"
		if i < s.CrossAttnLevels {
			u.DownBlockTypes[i] = "CrossAttnDownBlock2D"
		}
		u.UpBlockTypes[n-1-i] = "UpBlock2D"
		if i < s.CrossAttnLevels {
			u.UpBlockTypes[n-1-i] = "CrossAttnUpBlock2D"
		}
	}
	v := weights.VAEConfig{
		ClassName: "AutoencoderKL", DiffusersVersion: "0.13.1",
		InChannels: 3, OutChannels: 3, LatentChannels: s.LatentChannels, LayersPerBlock: s.VAELayers,
		NormNumGroups: s.VAEGroups, BlockOutChannels: s.VAEChannels, ActFn: "silu", SampleSize: s.Image,
		ScalingFactor: weights.DefaultScalingFactor,
	}
	for range s.VAEChannels {
		v.DownBlockTypes = append(v.DownBlockTypes, "DownEncoderBlock2D")
		v.UpBlockTypes = append(v.UpBlockTypes, "UpDecoderBlock2D")
	}
	for _, err := range []error{te.Validate(), u.Validate(), v.Validate()} {
		if err != nil {
			return te, u, v, fmt.Errorf("pretrain: sizes: %w", err)
		}
	}
	return te, u, v, nil
}
