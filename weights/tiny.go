package weights

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cones2web/cones2/cones/tokenizer"
)

// The tiny model variants, mirroring the fixture folders of the same names.
const (
	TinySD21Base = "sd21base" // OpenCLIP-style gelu, "!" padding, linear projections, per-block heads
	TinySD15     = "sd15"     // quick_gelu, <|endoftext|> padding, 1x1-conv projections, 8 heads
)

// TinyVocabSize is the vocabulary size the tiny tokenizer is trained towards; training stops
// earlier when the corpus runs out of pairs, and the text encoder's vocab_size is whatever
// the vocabulary ends up holding.
const TinyVocabSize = 1024

// tinyCorpus is the caption-like text the tiny tokenizer is trained on: short English
// sentences about the kinds of subjects and scenes Cones 2 composes.
//
//go:embed tiny_corpus.txt
var tinyCorpus string

// TinyOptions selects what WriteTiny generates.
type TinyOptions struct {
	Seed    uint64
	Variant string // TinySD21Base (the default) or TinySD15; unused when Like is set
	// Like is a model folder to mirror instead of a named variant: the tiny model takes its text
	// encoder, UNet, VAE and scheduler configs as they are (sizes included, so it should be a
	// small model) and its tokenizer's pad token; only the vocabulary is the tiny tokenizer's.
	Like string
	// Float32 stores float32 weights, as the fixtures do; by default weights are float16, as
	// Convert serves them.
	Float32 bool
}

// WriteTiny writes a seeded random Stable Diffusion model into dst (which must not exist or
// be empty): with the configs of the folder opt.Like names, or for a named variant with the
// fixtures' sizes: a 3-layer, 32-wide, 4-head text encoder; a UNet with
// channels (32, 64, 64), 2 layers per block and 32-wide cross-attention; a VAE with channels
// (32, 32, 64, 64) and 4 latent channels, for 128-pixel images. Its tokenizer is a BPE
// vocabulary trained on a small embedded corpus. The folder is laid out like a converted one,
// manifest included, so the server can serve it as the default model. The same options always
// give the same bytes.
func WriteTiny(dst string, opt TinyOptions) (*Manifest, error) {
	like, pad, err := tinyVariant(&opt)
	if err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	if err := prepareDst(dst); err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	vocab, err := tokenizer.Train(strings.Split(strings.TrimSpace(tinyCorpus), "\n"), TinyVocabSize)
	if err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	specials := tokenizer.CLIPSpecials(pad)
	if err := tokenizer.WriteDir(filepath.Join(dst, TokenizerDir), vocab, specials); err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	dt := F16
	if opt.Float32 {
		dt = F32
	}
	te, u, v := TinyConfigs(opt.Variant, vocab.Tokens, pad, dt)
	sched := []byte(SDScheduler)
	if like != nil {
		te, u, v, sched = likeTextEncoder(like.TextEncoder, te), like.UNet, like.VAE, like.SchedulerConfig
	}
	if err := writeTinyConfigs(dst, te, u, v, sched); err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	if err := writeTinyWeights(dst, te, u, v, opt.Seed, dt); err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	return WriteManifest(dst)
}

// tinyVariant resolves the options to the folder to mirror (nil for a named variant) and the
// pad token, defaulting the variant.
func tinyVariant(opt *TinyOptions) (*Folder, string, error) {
	if opt.Like != "" {
		f, err := Open(opt.Like)
		if err != nil {
			return nil, "", err
		}
		tok, err := tokenizer.Load(filepath.Join(opt.Like, TokenizerDir))
		if err != nil {
			return nil, "", fmt.Errorf("model folder %s: %w", opt.Like, err)
		}
		return f, tok.Specials().Pad, nil
	}
	if opt.Variant == "" {
		opt.Variant = TinySD21Base
	}
	pad, ok := map[string]string{TinySD21Base: "!", TinySD15: "<|endoftext|>"}[opt.Variant]
	if !ok {
		return nil, "", fmt.Errorf("unknown variant %q (want %s or %s)", opt.Variant, TinySD21Base, TinySD15)
	}
	return nil, pad, nil
}

// likeTextEncoder is a mirrored folder's text encoder config with the tiny vocabulary's size,
// special token ids and dtype (from tiny, the named variant's config for that vocabulary).
func likeTextEncoder(c, tiny TextEncoderConfig) TextEncoderConfig {
	c.VocabSize, c.BosTokenID, c.EosTokenID, c.PadTokenID = tiny.VocabSize, tiny.BosTokenID, tiny.EosTokenID, tiny.PadTokenID
	c.TorchDtype = tiny.TorchDtype
	return c
}

// TinyConfigs returns the configs of the tiny model of a variant whose tokenizer has the given
// tokens (CLIP layout: the two special tokens last) and pad token.
func TinyConfigs(variant string, tokens []string, pad string, dt DType) (TextEncoderConfig, UNetConfig, VAEConfig) {
	n := len(tokens)
	padID := n - 1
	for i, t := range tokens {
		if t == pad {
			padID = i
			break
		}
	}
	te := TextEncoderConfig{
		Architectures: []string{"CLIPTextModel"}, ModelType: "clip_text_model",
		VocabSize: n, HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 3, NumAttentionHeads: 4,
		MaxPositionEmbeddings: 77, HiddenAct: "gelu", LayerNormEps: 1e-5, ProjectionDim: 32,
		BosTokenID: n - 2, EosTokenID: n - 1, PadTokenID: padID,
		TorchDtype: map[DType]string{F16: "float16", F32: "float32"}[dt],
	}
	u := DefaultUNetConfig()
	u.ClassName, u.DiffusersVersion = "UNet2DConditionModel", "0.13.1"
	u.SampleSize = 16
	u.BlockOutChannels = []int{32, 64, 64}
	u.DownBlockTypes = []string{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"}
	u.UpBlockTypes = []string{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"}
	u.CrossAttentionDim = 32
	u.AttentionHeadDim = List(2, 4, 4)
	u.UseLinearProjection = true
	if variant == TinySD15 {
		te.HiddenAct = "quick_gelu"
		u.AttentionHeadDim = One(8)
		u.UseLinearProjection = false
	}
	v := VAEConfig{
		ClassName: "AutoencoderKL", DiffusersVersion: "0.13.1",
		InChannels: 3, OutChannels: 3, LatentChannels: 4, LayersPerBlock: 2, NormNumGroups: 32,
		BlockOutChannels: []int{32, 32, 64, 64}, ActFn: "silu", SampleSize: 128,
		ScalingFactor:  DefaultScalingFactor,
		DownBlockTypes: []string{"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"},
		UpBlockTypes:   []string{"UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"},
	}
	return te, u, v
}

func writeTinyConfigs(dst string, te TextEncoderConfig, u UNetConfig, v VAEConfig, scheduler []byte) error {
	files := map[string]any{
		TextEncoderDir + "/config.json": te,
		UNetDir + "/config.json":        u,
		VAEDir + "/config.json":         v,
	}
	for name, cfg := range files {
		data, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dst, filepath.FromSlash(name)), append(data, '\n')); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dst, "model_index.json"), []byte(SDModelIndex)); err != nil {
		return err
	}
	return writeFile(filepath.Join(dst, SchedulerDir, "scheduler_config.json"), scheduler)
}

func writeTinyWeights(dst string, tec TextEncoderConfig, uc UNetConfig, vc VAEConfig, seed uint64, dt DType) error {
	te, err := DescribeTextEncoder(tec)
	if err != nil {
		return err
	}
	u, err := DescribeUNet(uc)
	if err != nil {
		return err
	}
	v, err := DescribeVAE(vc)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		dir string
		m   Module
	}{{TextEncoderDir, te}, {UNetDir, u}, {VAEDir, v}} {
		if err := WriteComponent(dst, c.dir, tinyTensors(c.m, seed, dt), ConvertOptions{}); err != nil {
			return fmt.Errorf("%s: %w", c.dir, err)
		}
	}
	return nil
}
