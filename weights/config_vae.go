package weights

// DefaultScalingFactor is the latent scale of Stable Diffusion 1.x/2.x VAEs, which diffusers
// assumes when vae/config.json has no scaling_factor (configs written before diffusers 0.12).
const DefaultScalingFactor = 0.18215

// VAEConfig is vae/config.json of a diffusers AutoencoderKL. Fields absent from the file keep
// the diffusers defaults, except scaling_factor which defaults to DefaultScalingFactor.
type VAEConfig struct {
	ClassName        string   `json:"_class_name,omitempty"`
	DiffusersVersion string   `json:"_diffusers_version,omitempty"`
	InChannels       int      `json:"in_channels"`
	OutChannels      int      `json:"out_channels"`
	DownBlockTypes   []string `json:"down_block_types"`
	UpBlockTypes     []string `json:"up_block_types"`
	BlockOutChannels []int    `json:"block_out_channels"`
	LayersPerBlock   int      `json:"layers_per_block"`
	ActFn            string   `json:"act_fn"`
	LatentChannels   int      `json:"latent_channels"`
	NormNumGroups    int      `json:"norm_num_groups"`
	SampleSize       int      `json:"sample_size"`
	ScalingFactor    float64  `json:"scaling_factor"`

	// Later diffusers keys that change the structure; refused unless they keep SD's.
	UseQuantConv         *bool    `json:"use_quant_conv,omitempty"`
	UsePostQuantConv     *bool    `json:"use_post_quant_conv,omitempty"`
	MidBlockAddAttention *bool    `json:"mid_block_add_attention,omitempty"`
	ShiftFactor          *float64 `json:"shift_factor,omitempty"`
}

// DefaultVAEConfig returns diffusers' AutoencoderKL defaults (a one-level toy; real configs
// set every size).
func DefaultVAEConfig() VAEConfig {
	return VAEConfig{
		InChannels: 3, OutChannels: 3,
		DownBlockTypes: []string{"DownEncoderBlock2D"}, UpBlockTypes: []string{"UpDecoderBlock2D"},
		BlockOutChannels: []int{64}, LayersPerBlock: 1, ActFn: "silu", LatentChannels: 4,
		NormNumGroups: 32, SampleSize: 32, ScalingFactor: DefaultScalingFactor,
	}
}

// ParseVAEConfig parses and validates vae/config.json.
func ParseVAEConfig(data []byte) (VAEConfig, error) {
	c := DefaultVAEConfig()
	if err := decodeConfig("vae", data, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// DownsampleFactor is the ratio of image to latent side: 2 per level but the last.
func (c VAEConfig) DownsampleFactor() int { return 1 << (len(c.BlockOutChannels) - 1) }

// Validate checks block lists, channel divisibility and unsupported features.
func (c VAEConfig) Validate() error {
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
	for _, t := range c.DownBlockTypes {
		if t != "DownEncoderBlock2D" {
			return configErr("down_block_types", "%q is not supported (want DownEncoderBlock2D)", t)
		}
	}
	for _, t := range c.UpBlockTypes {
		if t != "UpDecoderBlock2D" {
			return configErr("up_block_types", "%q is not supported (want UpDecoderBlock2D)", t)
		}
	}
	for _, ch := range []struct {
		field string
		v     int
	}{{"in_channels", c.InChannels}, {"out_channels", c.OutChannels}, {"latent_channels", c.LatentChannels}, {"norm_num_groups", c.NormNumGroups}} {
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
	if c.ActFn != "silu" && c.ActFn != "swish" {
		return configErr("act_fn", "%q is not supported (want silu)", c.ActFn)
	}
	if !(c.ScalingFactor > 0) {
		return configErr("scaling_factor", "%g is not positive", c.ScalingFactor)
	}
	for _, f := range []struct {
		field string
		v     *bool
	}{{"use_quant_conv", c.UseQuantConv}, {"use_post_quant_conv", c.UsePostQuantConv}, {"mid_block_add_attention", c.MidBlockAddAttention}} {
		if f.v != nil && !*f.v {
			return configErr(f.field, "false is not supported")
		}
	}
	if c.ShiftFactor != nil && *c.ShiftFactor != 0 {
		return configErr("shift_factor", "%g is not supported (want 0 or null)", *c.ShiftFactor)
	}
	return nil
}
