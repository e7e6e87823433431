package weights

import "slices"

// TextEncoderConfig is text_encoder/config.json of a transformers CLIPTextModel. Fields absent
// from the file keep transformers' CLIPTextConfig defaults.
type TextEncoderConfig struct {
	Architectures         []string `json:"architectures,omitempty"`
	ModelType             string   `json:"model_type,omitempty"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	HiddenAct             string   `json:"hidden_act"` // "gelu" (SD 2.x, exact erf) or "quick_gelu" (SD 1.x)
	LayerNormEps          float64  `json:"layer_norm_eps"`
	ProjectionDim         int      `json:"projection_dim,omitempty"`
	BosTokenID            int      `json:"bos_token_id"`
	EosTokenID            int      `json:"eos_token_id"`
	PadTokenID            int      `json:"pad_token_id"`
	TorchDtype            string   `json:"torch_dtype,omitempty"`
}

// DefaultTextEncoderConfig returns transformers' CLIPTextConfig defaults.
func DefaultTextEncoderConfig() TextEncoderConfig {
	return TextEncoderConfig{
		VocabSize: 49408, HiddenSize: 512, IntermediateSize: 2048, NumHiddenLayers: 12,
		NumAttentionHeads: 8, MaxPositionEmbeddings: 77, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, ProjectionDim: 512, BosTokenID: 49406, EosTokenID: 49407, PadTokenID: 1,
	}
}

// ParseTextEncoderConfig parses and validates text_encoder/config.json.
func ParseTextEncoderConfig(data []byte) (TextEncoderConfig, error) {
	c := DefaultTextEncoderConfig()
	if err := decodeConfig("text encoder", data, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Limits on sizes, far above any real model, that keep a hostile config from describing
// tensors whose element counts overflow or whose allocation would exhaust memory.
const (
	maxWidth  = 1 << 16
	maxVocab  = 1 << 20
	maxLayers = 256
)

// Validate checks that the sizes are consistent and the activation is one the engines run.
func (c TextEncoderConfig) Validate() error {
	if len(c.Architectures) > 0 && !slices.Contains(c.Architectures, "CLIPTextModel") {
		return configErr("architectures", "%v is not supported (want CLIPTextModel)", c.Architectures)
	}
	if c.ModelType != "" && c.ModelType != "clip_text_model" {
		return configErr("model_type", "%q is not supported (want clip_text_model)", c.ModelType)
	}
	checks := []struct {
		field string
		v, hi int
	}{
		{"vocab_size", c.VocabSize, maxVocab},
		{"hidden_size", c.HiddenSize, maxWidth},
		{"intermediate_size", c.IntermediateSize, 4 * maxWidth},
		{"num_hidden_layers", c.NumHiddenLayers, maxLayers},
		{"num_attention_heads", c.NumAttentionHeads, maxWidth},
		{"max_position_embeddings", c.MaxPositionEmbeddings, maxWidth},
	}
	for _, ch := range checks {
		if err := checkRange(ch.field, ch.v, 1, ch.hi); err != nil {
			return err
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return configErr("num_attention_heads", "%d does not divide hidden_size %d", c.NumAttentionHeads, c.HiddenSize)
	}
	if c.HiddenAct != "gelu" && c.HiddenAct != "quick_gelu" {
		return configErr("hidden_act", "%q is not supported (want gelu or quick_gelu)", c.HiddenAct)
	}
	if !(c.LayerNormEps > 0 && c.LayerNormEps < 1) {
		return configErr("layer_norm_eps", "%g is not in (0, 1)", c.LayerNormEps)
	}
	return nil
}

func checkRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return configErr(field, "%d is outside [%d, %d]", v, lo, hi)
	}
	return nil
}
