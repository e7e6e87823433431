package weights

import "strconv"

// UNetConfig is unet/config.json of a diffusers UNet2DConditionModel. Fields absent from the
// file keep the diffusers 0.13 defaults. Keys that only later or other architectures use (class
// embeddings, addition embeddings, several transformer layers per block) are parsed so that a
// config setting them is refused with a clear error instead of being silently ignored.
type UNetConfig struct {
	ClassName        string `json:"_class_name,omitempty"`
	DiffusersVersion string `json:"_diffusers_version,omitempty"`

	SampleSize        int      `json:"sample_size"`
	InChannels        int      `json:"in_channels"`
	OutChannels       int      `json:"out_channels"`
	CenterInputSample bool     `json:"center_input_sample"`
	FlipSinToCos      bool     `json:"flip_sin_to_cos"`
	FreqShift         float64  `json:"freq_shift"`
	DownBlockTypes    []string `json:"down_block_types"`
	MidBlockType      *string  `json:"mid_block_type"`
	UpBlockTypes      []string `json:"up_block_types"`
	BlockOutChannels  []int    `json:"block_out_channels"`
	LayersPerBlock    int      `json:"layers_per_block"`
	DownsamplePadding int      `json:"downsample_padding"`
	MidBlockScale     float64  `json:"mid_block_scale_factor"`
	ActFn             string   `json:"act_fn"`
	NormNumGroups     int      `json:"norm_num_groups"`
	NormEps           float64  `json:"norm_eps"`
	CrossAttentionDim int      `json:"cross_attention_dim"`
	// AttentionHeadDim is, despite its name, the number of attention heads per block in
	// diffusers 0.13: UNet2DConditionModel passes it to the blocks as attn_num_head_channels,
	// and they build Transformer2DModel(heads=that, head_dim=channels/that). SD 1.5 writes 8
	// (8 heads of 40..160 channels), SD 2.x writes [5, 10, 20, 20] (heads of 64 channels).
	AttentionHeadDim     OneOrList[int]  `json:"attention_head_dim"`
	DualCrossAttention   bool            `json:"dual_cross_attention"`
	UseLinearProjection  bool            `json:"use_linear_projection"`
	OnlyCrossAttention   OneOrList[bool] `json:"only_cross_attention"`
	UpcastAttention      bool            `json:"upcast_attention"`
	ResnetTimeScaleShift string          `json:"resnet_time_scale_shift"`
	TimeEmbeddingType    string          `json:"time_embedding_type"`
	ConvInKernel         int             `json:"conv_in_kernel"`
	ConvOutKernel        int             `json:"conv_out_kernel"`

	// Must be null or absent.
	ClassEmbedType                    *string         `json:"class_embed_type"`
	NumClassEmbeds                    *int            `json:"num_class_embeds"`
	TimestepPostAct                   *string         `json:"timestep_post_act"`
	TimeCondProjDim                   *int            `json:"time_cond_proj_dim"`
	ProjectionClassEmbeddingsInputDim *int            `json:"projection_class_embeddings_input_dim"`
	NumAttentionHeads                 *OneOrList[int] `json:"num_attention_heads,omitempty"`
	AdditionEmbedType                 *string         `json:"addition_embed_type,omitempty"`
	EncoderHidDim                     *int            `json:"encoder_hid_dim,omitempty"`
	TimeEmbeddingDim                  *int            `json:"time_embedding_dim,omitempty"`
	// Must be 1 when present.
	TransformerLayersPerBlock *OneOrList[int] `json:"transformer_layers_per_block,omitempty"`
}

// DefaultUNetConfig returns the diffusers 0.13 UNet2DConditionModel defaults (those of SD 1.x).
func DefaultUNetConfig() UNetConfig {
	mid := "UNetMidBlock2DCrossAttn"
	return UNetConfig{
		InChannels: 4, OutChannels: 4, FlipSinToCos: true,
		DownBlockTypes:   []string{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"},
		MidBlockType:     &mid,
		UpBlockTypes:     []string{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"},
		BlockOutChannels: []int{320, 640, 1280, 1280},
		LayersPerBlock:   2, DownsamplePadding: 1, MidBlockScale: 1, ActFn: "silu",
		NormNumGroups: 32, NormEps: 1e-5, CrossAttentionDim: 1280,
		AttentionHeadDim:     One(8),
		OnlyCrossAttention:   One(false),
		ResnetTimeScaleShift: "default", TimeEmbeddingType: "positional",
		ConvInKernel: 3, ConvOutKernel: 3,
	}
}

// ParseUNetConfig parses and validates unet/config.json.
func ParseUNetConfig(data []byte) (UNetConfig, error) {
	c := DefaultUNetConfig()
	if err := decodeConfig("unet", data, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Heads returns the number of attention heads of down block i (the mid block uses the last
// down block's count, up block i the count of down block n-1-i).
func (c UNetConfig) Heads(i int) int { return c.AttentionHeadDim.At(i) }

// Validate checks block lists, channel divisibility and every unsupported feature.
func (c UNetConfig) Validate() error {
	if err := c.validateUnsupported(); err != nil {
		return err
	}
	n := len(c.BlockOutChannels)
	if n == 0 || n > 16 {
		return configErr("block_out_channels", "has %d entries, want 1 to 16", n)
	}
	if len(c.DownBlockTypes) != n {
		return configErr("down_block_types", "has %d entries, block_out_channels %d", len(c.DownBlockTypes), n)
	}
	if len(c.UpBlockTypes) != n {
		return configErr("up_block_types", "has %d entries, block_out_channels %d", len(c.UpBlockTypes), n)
	}
	if err := c.AttentionHeadDim.check("attention_head_dim", n); err != nil {
		return err
	}
	if err := c.OnlyCrossAttention.check("only_cross_attention", n); err != nil {
		return err
	}
	if err := c.validateSizes(); err != nil {
		return err
	}
	for i, t := range c.DownBlockTypes {
		if t != "CrossAttnDownBlock2D" && t != "DownBlock2D" {
			return configErr("down_block_types", "%q is not supported (want CrossAttnDownBlock2D or DownBlock2D)", t)
		}
		if t == "CrossAttnDownBlock2D" {
			if err := c.checkHeads(c.BlockOutChannels[i], c.Heads(i)); err != nil {
				return err
			}
		}
	}
	for i, t := range c.UpBlockTypes {
		if t != "CrossAttnUpBlock2D" && t != "UpBlock2D" {
			return configErr("up_block_types", "%q is not supported (want CrossAttnUpBlock2D or UpBlock2D)", t)
		}
		if t == "CrossAttnUpBlock2D" {
			if err := c.checkHeads(c.BlockOutChannels[n-1-i], c.Heads(n-1-i)); err != nil {
				return err
			}
		}
	}
	if c.MidBlockType == nil || *c.MidBlockType != "UNetMidBlock2DCrossAttn" {
		return configErr("mid_block_type", "%s is not supported (want UNetMidBlock2DCrossAttn)", quoteOrNull(c.MidBlockType))
	}
	return c.checkHeads(c.BlockOutChannels[n-1], c.Heads(n-1))
}

func (c UNetConfig) validateSizes() error {
	for _, ch := range []struct {
		field string
		v     int
	}{{"in_channels", c.InChannels}, {"out_channels", c.OutChannels}, {"cross_attention_dim", c.CrossAttentionDim}, {"norm_num_groups", c.NormNumGroups}} {
		if err := checkRange(ch.field, ch.v, 1, maxWidth); err != nil {
			return err
		}
	}
	if err := checkRange("layers_per_block", c.LayersPerBlock, 1, 64); err != nil {
		return err
	}
	for _, ch := range c.BlockOutChannels {
		if err := checkRange("block_out_channels", ch, 1, maxWidth); err != nil {
			return err
		}
		if ch%c.NormNumGroups != 0 {
			return configErr("block_out_channels", "%d is not a multiple of norm_num_groups %d", ch, c.NormNumGroups)
		}
	}
	// conv_norm_out normalises block 0's channels; every other group norm sees a multiple of
	// some block's width (or a sum of two, in the up path), all checked above.
	for _, k := range []struct {
		field string
		v     int
	}{{"conv_in_kernel", c.ConvInKernel}, {"conv_out_kernel", c.ConvOutKernel}} {
		if k.v < 1 || k.v > 15 || k.v%2 == 0 {
			return configErr(k.field, "%d is not an odd size from 1 to 15", k.v)
		}
	}
	if c.DownsamplePadding < 0 || c.DownsamplePadding > 1 {
		return configErr("downsample_padding", "%d is not supported (want 0 or 1)", c.DownsamplePadding)
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		return configErr("norm_eps", "%g is not in (0, 1)", c.NormEps)
	}
	if !(c.MidBlockScale > 0) {
		return configErr("mid_block_scale_factor", "%g is not positive", c.MidBlockScale)
	}
	if c.ActFn != "silu" && c.ActFn != "swish" {
		return configErr("act_fn", "%q is not supported (want silu)", c.ActFn)
	}
	return nil
}

func (c UNetConfig) checkHeads(channels, heads int) error {
	if heads < 1 || channels%heads != 0 {
		return configErr("attention_head_dim", "%d heads do not divide a block of %d channels", heads, channels)
	}
	return nil
}

func (c UNetConfig) validateUnsupported() error {
	nulls := []struct {
		field string
		set   bool
	}{
		{"class_embed_type", c.ClassEmbedType != nil},
		{"num_class_embeds", c.NumClassEmbeds != nil},
		{"timestep_post_act", c.TimestepPostAct != nil},
		{"time_cond_proj_dim", c.TimeCondProjDim != nil},
		{"projection_class_embeddings_input_dim", c.ProjectionClassEmbeddingsInputDim != nil},
		{"num_attention_heads", c.NumAttentionHeads != nil && len(c.NumAttentionHeads.Values) > 0},
		{"addition_embed_type", c.AdditionEmbedType != nil},
		{"encoder_hid_dim", c.EncoderHidDim != nil},
		{"time_embedding_dim", c.TimeEmbeddingDim != nil},
	}
	for _, n := range nulls {
		if n.set {
			return configErr(n.field, "is set, but only null is supported (Stable Diffusion 1.x/2.x UNets)")
		}
	}
	if t := c.TransformerLayersPerBlock; t != nil {
		for _, v := range t.Values {
			if v != 1 {
				return configErr("transformer_layers_per_block", "%d is not supported (want 1)", v)
			}
		}
	}
	for _, v := range c.OnlyCrossAttention.Values {
		if v {
			return configErr("only_cross_attention", "true is not supported")
		}
	}
	switch {
	case c.DualCrossAttention:
		return configErr("dual_cross_attention", "true is not supported")
	case c.CenterInputSample:
		return configErr("center_input_sample", "true is not supported")
	case c.ResnetTimeScaleShift != "default":
		return configErr("resnet_time_scale_shift", "%q is not supported (want default)", c.ResnetTimeScaleShift)
	case c.TimeEmbeddingType != "positional":
		return configErr("time_embedding_type", "%q is not supported (want positional)", c.TimeEmbeddingType)
	}
	return nil
}

func quoteOrNull(s *string) string {
	if s == nil {
		return "null"
	}
	return strconv.Quote(*s)
}
