package weights

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// sd15UNetConfig is the shape of the real SD 1.5 unet/config.json: written before
// use_linear_projection and upcast_attention existed, so both are absent.
const sd15UNetConfig = `{
  "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0",
  "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
  "center_input_sample": false, "cross_attention_dim": 768,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4,
  "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
  "out_channels": 4, "sample_size": 64,
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
}`

func TestParseUNetConfigSD15(t *testing.T) {
	c, err := ParseUNetConfig([]byte(sd15UNetConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.UseLinearProjection || c.UpcastAttention || c.CrossAttentionDim != 768 || !c.AttentionHeadDim.Single {
		t.Errorf("parsed %+v", c)
	}
	u, err := DescribeUNet(c)
	if err != nil {
		t.Fatal(err)
	}
	// attention_head_dim 8 means 8 heads in every block (diffusers 0.13), so the head width
	// grows with the block: 320/8, 640/8, 1280/8.
	want := []int{40, 40, 80, 80, 160, 160, 160, 160, 160, 160, 80, 80, 80, 40, 40, 40}
	for i, tr := range u.Transformers() {
		a := tr.Blocks[0].Attn2
		if a.Heads != 8 || a.HeadDim != want[i] || tr.Heads != 8 {
			t.Errorf("%s: %d heads of %d, want 8 of %d", a.Name, a.Heads, a.HeadDim, want[i])
		}
		if tr.LinearProjection || !tr.ProjIn.Conv1x1 {
			t.Errorf("%s: SD 1.5 stores proj_in as a 1x1 conv", tr.Name)
		}
	}
}

func TestParseUNetConfigSD21Heads(t *testing.T) {
	for _, model := range []string{"stable-diffusion-2-1", "stable-diffusion-2-1-base"} {
		p := fixture.External(t, filepath.Join("sd21-configs", model, "unet", "config.json"))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseUNetConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		u, err := DescribeUNet(c)
		if err != nil {
			t.Fatal(err)
		}
		// [5, 10, 20, 20] heads over [320, 640, 1280, 1280] channels: 64-wide heads everywhere.
		for _, tr := range u.Transformers() {
			for _, a := range []Attention{tr.Blocks[0].Attn1, tr.Blocks[0].Attn2} {
				if a.HeadDim != 64 || a.Heads*a.HeadDim != tr.Channels {
					t.Errorf("%s %s: %d heads of %d over %d channels", model, a.Name, a.Heads, a.HeadDim, tr.Channels)
				}
				if a.Upcast != (model == "stable-diffusion-2-1") {
					t.Errorf("%s %s: upcast %v", model, a.Name, a.Upcast)
				}
			}
			if !tr.LinearProjection || tr.ProjIn.Conv1x1 {
				t.Errorf("%s: SD 2.x uses linear projections", tr.Name)
			}
		}
	}
}

func TestFixtureConfigs(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		f, err := Open(v.Dir)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		u, err := DescribeUNet(f.UNet)
		if err != nil {
			t.Fatal(err)
		}
		heads := diffusersHeads(t, filepath.Join(v.Dir, "unet", "config.json"))
		trs := u.Transformers()
		if len(trs) != len(heads) {
			t.Fatalf("%s: %d transformers, the config makes %d", v.Name, len(trs), len(heads))
		}
		for i, tr := range trs {
			if tr.Heads != heads[i] {
				t.Errorf("%s %s: %d heads, want %d", v.Name, tr.Name, tr.Heads, heads[i])
			}
		}
		scale, ok := v.VAEScaling(t)
		if !ok {
			scale = DefaultScalingFactor
		}
		if pred := v.Prediction(t); f.VAE.ScalingFactor != scale || f.Scheduler.PredictionType != pred || len(f.SchedulerConfig) == 0 {
			t.Errorf("%s: scaling %g, prediction %q; want %g, %q", v.Name, f.VAE.ScalingFactor, f.Scheduler.PredictionType, scale, pred)
		}
	}
}

// diffusersHeads lists the head count of each transformer, in Transformers' order (down blocks,
// mid block, up blocks), the way diffusers 0.13 reads a UNet config: attention_head_dim (a
// number or one per down block) per down block, its last entry for the mid block, reversed
// for the up blocks, which have one layer more than the down blocks.
func diffusersHeads(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Heads  json.RawMessage `json:"attention_head_dim"`
		Layers int             `json:"layers_per_block"`
		Down   []string        `json:"down_block_types"`
		Up     []string        `json:"up_block_types"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if c.Layers == 0 {
		c.Layers = 2 // diffusers' default
	}
	var per []int
	if err := json.Unmarshal(c.Heads, &per); err != nil {
		var one int
		if err := json.Unmarshal(c.Heads, &one); err != nil {
			t.Fatalf("%s: attention_head_dim %s", path, c.Heads)
		}
		per = slices.Repeat([]int{one}, len(c.Down))
	}
	var out []int
	for i, b := range c.Down {
		if strings.HasPrefix(b, "CrossAttn") {
			out = append(out, slices.Repeat([]int{per[i]}, c.Layers)...)
		}
	}
	out = append(out, per[len(per)-1])
	for i, b := range c.Up {
		if strings.HasPrefix(b, "CrossAttn") {
			out = append(out, slices.Repeat([]int{per[len(per)-1-i]}, c.Layers+1)...)
		}
	}
	return out
}

func TestVAEScalingFactorDefault(t *testing.T) {
	c, err := ParseVAEConfig([]byte(`{"block_out_channels":[128,256],"down_block_types":["DownEncoderBlock2D","DownEncoderBlock2D"],"up_block_types":["UpDecoderBlock2D","UpDecoderBlock2D"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ScalingFactor != DefaultScalingFactor || c.DownsampleFactor() != 2 {
		t.Errorf("scaling %g, factor %d", c.ScalingFactor, c.DownsampleFactor())
	}
	c, _ = ParseVAEConfig([]byte(`{"scaling_factor":0.13025}`))
	if c.ScalingFactor != 0.13025 {
		t.Errorf("scaling %g", c.ScalingFactor)
	}
}

// TestConfigErrors lists configs this project must refuse, each with the field the error
// must name.
func TestConfigErrors(t *testing.T) {
	unet := func(patch string) string {
		return `{"block_out_channels":[32,64],"down_block_types":["CrossAttnDownBlock2D","DownBlock2D"],` +
			`"up_block_types":["UpBlock2D","CrossAttnUpBlock2D"],"attention_head_dim":[2,4]` + patch + `}`
	}
	vae := func(patch string) string {
		return `{"block_out_channels":[32,64],"down_block_types":["DownEncoderBlock2D","DownEncoderBlock2D"],` +
			`"up_block_types":["UpDecoderBlock2D","UpDecoderBlock2D"]` + patch + `}`
	}
	cases := []struct {
		name, kind, json, field string
	}{
		{"unet ok", "unet", unet(""), ""},
		{"unknown down block", "unet", `{"down_block_types":["AttnDownBlock2D","DownBlock2D","DownBlock2D","DownBlock2D"]}`, "down_block_types"},
		{"unknown up block", "unet", unet(`,"up_block_types":["UpBlock2D","SimpleCrossAttnUpBlock2D"]`), "up_block_types"},
		{"unknown mid block", "unet", unet(`,"mid_block_type":"UNetMidBlock2DSimpleCrossAttn"`), "mid_block_type"},
		{"null mid block", "unet", unet(`,"mid_block_type":null`), "mid_block_type"},
		{"block count mismatch", "unet", unet(`,"up_block_types":["UpBlock2D"]`), "up_block_types"},
		{"head list length", "unet", unet(`,"attention_head_dim":[2,4,8]`), "attention_head_dim"},
		{"heads do not divide", "unet", unet(`,"attention_head_dim":[3,4]`), "attention_head_dim"},
		{"groups do not divide", "unet", unet(`,"norm_num_groups":24`), "block_out_channels"},
		{"act fn", "unet", unet(`,"act_fn":"mish"`), "act_fn"},
		{"scale shift", "unet", unet(`,"resnet_time_scale_shift":"scale_shift"`), "resnet_time_scale_shift"},
		{"class embed", "unet", unet(`,"class_embed_type":"timestep"`), "class_embed_type"},
		{"num class embeds", "unet", unet(`,"num_class_embeds":10`), "num_class_embeds"},
		{"time embedding type", "unet", unet(`,"time_embedding_type":"fourier"`), "time_embedding_type"},
		{"only cross attention", "unet", unet(`,"only_cross_attention":[false,true]`), "only_cross_attention"},
		{"dual cross attention", "unet", unet(`,"dual_cross_attention":true`), "dual_cross_attention"},
		{"addition embed", "unet", unet(`,"addition_embed_type":"text_time"`), "addition_embed_type"},
		{"transformer layers", "unet", unet(`,"transformer_layers_per_block":[1,2]`), "transformer_layers_per_block"},
		{"num attention heads", "unet", unet(`,"num_attention_heads":[2,4]`), "num_attention_heads"},
		{"even conv kernel", "unet", unet(`,"conv_in_kernel":2`), "conv_in_kernel"},
		{"downsample padding", "unet", unet(`,"downsample_padding":3`), "downsample_padding"},
		{"center input", "unet", unet(`,"center_input_sample":true`), "center_input_sample"},
		{"wrong type", "unet", unet(`,"layers_per_block":"two"`), "layers_per_block"},
		{"zero layers", "unet", unet(`,"layers_per_block":0`), "layers_per_block"},
		{"vae ok", "vae", vae(""), ""},
		{"vae block type", "vae", vae(`,"down_block_types":["DownEncoderBlock2D","AttnDownEncoderBlock2D"]`), "down_block_types"},
		{"vae up block type", "vae", vae(`,"up_block_types":["UpDecoderBlock2D","AttnUpDecoderBlock2D"]`), "up_block_types"},
		{"vae act", "vae", vae(`,"act_fn":"relu"`), "act_fn"},
		{"vae scaling", "vae", vae(`,"scaling_factor":-1`), "scaling_factor"},
		{"vae no quant conv", "vae", vae(`,"use_quant_conv":false`), "use_quant_conv"},
		{"vae shift", "vae", vae(`,"shift_factor":0.1159`), "shift_factor"},
		{"vae groups", "vae", vae(`,"norm_num_groups":48`), "block_out_channels"},
		{"te ok", "te", `{"hidden_size":32,"num_attention_heads":4,"hidden_act":"gelu"}`, ""},
		{"te act", "te", `{"hidden_act":"gelu_new"}`, "hidden_act"},
		{"te heads", "te", `{"hidden_size":30,"num_attention_heads":4}`, "num_attention_heads"},
		{"te architecture", "te", `{"architectures":["CLIPTextModelWithProjection"]}`, "architectures"},
		{"te model type", "te", `{"model_type":"t5"}`, "model_type"},
		{"te vocab", "te", `{"vocab_size":0}`, "vocab_size"},
		{"te eps", "te", `{"layer_norm_eps":0}`, "layer_norm_eps"},
		{"te huge", "te", `{"hidden_size":1099511627776}`, "hidden_size"},
		{"te not json", "te", `{"hidden_size":`, "text encoder config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			switch c.kind {
			case "unet":
				_, err = ParseUNetConfig([]byte(c.json))
			case "vae":
				_, err = ParseVAEConfig([]byte(c.json))
			case "te":
				_, err = ParseTextEncoderConfig([]byte(c.json))
			}
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("error %v, want one naming %q", err, c.field)
			}
		})
	}
}

func TestParseModelIndex(t *testing.T) {
	full := `{"_class_name":"StableDiffusionPipeline","scheduler":["diffusers","DDIMScheduler"],` +
		`"text_encoder":["transformers","CLIPTextModel"],"tokenizer":["transformers","CLIPTokenizer"],` +
		`"unet":["diffusers","UNet2DConditionModel"],"vae":["diffusers","AutoencoderKL"],` +
		`"safety_checker":[null,null],"requires_safety_checker":false}`
	mi, err := ParseModelIndex([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mi.Components["safety_checker"]; ok || mi.Components["scheduler"][1] != "DDIMScheduler" {
		t.Errorf("components %v", mi.Components)
	}
	for _, c := range []struct{ json, field string }{
		{strings.Replace(full, `"vae":["diffusers","AutoencoderKL"],`, "", 1), "vae"},
		{strings.Replace(full, "UNet2DConditionModel", "UNet2DModel", 1), "unet"},
		{strings.Replace(full, "CLIPTextModel", "T5EncoderModel", 1), "text_encoder"},
		{`[]`, "model index"},
	} {
		_, err := ParseModelIndex([]byte(c.json))
		var ce *ConfigError
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("error %v, want one naming %q", err, c.field)
		} else if c.field != "model index" && !errors.As(err, &ce) {
			t.Errorf("%v is not a *ConfigError", err)
		}
	}
}

func TestOneOrListRoundTrip(t *testing.T) {
	for _, s := range []string{`8`, `[5,10,20,20]`} {
		var o OneOrList[int]
		if err := o.UnmarshalJSON([]byte(s)); err != nil {
			t.Fatal(err)
		}
		b, _ := o.MarshalJSON()
		if string(b) != s {
			t.Errorf("%s -> %s", s, b)
		}
	}
}
