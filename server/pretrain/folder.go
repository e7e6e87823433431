package pretrain

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/weights"
)

// padToken is what prompts are padded with: CLIP's end-of-text token, as in SD 1.x.
const padToken = "<|endoftext|>"

// spec is what a model folder is made of besides its weights.
type spec struct {
	sizes         Sizes
	vocab         *tokenizer.Vocabulary
	scalingFactor float64 // the VAE's latent scale
	// recommended is the model's cones.json (weights.RecommendedName); nil writes none.
	recommended []byte
}

// describe returns the three configs and descriptions of the model.
func (s spec) describe(dt weights.DType) (*weights.Model, [3]any, error) {
	n := len(s.vocab.Tokens)
	pad := n - 1
	te, u, v, err := s.sizes.Configs(n, n-2, n-1, pad, dt)
	if err != nil {
		return nil, [3]any{}, err
	}
	if s.scalingFactor > 0 {
		v.ScalingFactor = s.scalingFactor
	}
	m := &weights.Model{}
	if m.TextEncoder, err = weights.DescribeTextEncoder(te); err != nil {
		return nil, [3]any{}, err
	}
	if m.UNet, err = weights.DescribeUNet(u); err != nil {
		return nil, [3]any{}, err
	}
	if m.VAE, err = weights.DescribeVAE(v); err != nil {
		return nil, [3]any{}, err
	}
	return m, [3]any{te, u, v}, nil
}

// writeFolder writes a complete diffusers model folder into dst (which must not exist or be
// empty): tokenizer, configs, scheduler, every component's weights as dt from values (parameter
// name -> float32 data, per component folder) and manifest.json last.
func writeFolder(dst string, s spec, dt weights.DType, values map[string]map[string][]float32) (*weights.Manifest, error) {
	m, cfgs, err := s.describe(dt)
	if err != nil {
		return nil, err
	}
	if err := prepareEmpty(dst); err != nil {
		return nil, err
	}
	if err := tokenizer.WriteDir(filepath.Join(dst, weights.TokenizerDir), s.vocab, tokenizer.CLIPSpecials(padToken)); err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"model_index.json": []byte(weights.SDModelIndex),
		filepath.Join(weights.SchedulerDir, "scheduler_config.json"): []byte(weights.SDScheduler),
	}
	if s.recommended != nil {
		files[weights.RecommendedName] = s.recommended
	}
	for i, dir := range []string{weights.TextEncoderDir, weights.UNetDir, weights.VAEDir} {
		data, err := json.MarshalIndent(cfgs[i], "", "  ")
		if err != nil {
			return nil, err
		}
		files[filepath.Join(dir, "config.json")] = append(data, '\n')
	}
	for name, data := range files {
		p := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	for _, c := range []struct {
		dir string
		mod weights.Module
	}{{weights.TextEncoderDir, m.TextEncoder}, {weights.UNetDir, m.UNet}, {weights.VAEDir, m.VAE}} {
		ts, err := outTensors(c.mod, values[c.dir], dt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.dir, err)
		}
		if err := weights.WriteComponent(dst, c.dir, ts, weights.ConvertOptions{}); err != nil {
			return nil, fmt.Errorf("%s: %w", c.dir, err)
		}
	}
	return weights.WriteManifest(dst)
}

// outTensors lists the required parameters of m with their values from vals.
func outTensors(m weights.Module, vals map[string][]float32, dt weights.DType) ([]weights.OutTensor, error) {
	var out []weights.OutTensor
	for _, p := range m.Params() {
		if p.Optional {
			continue
		}
		data, ok := vals[p.Name]
		if !ok || len(data) != p.NumElements() {
			return nil, fmt.Errorf("parameter %s: have %d values, want %d", p.Name, len(data), p.NumElements())
		}
		out = append(out, weights.OutTensor{Name: p.Name, DType: dt, Shape: p.Shape, Bytes: func() ([]byte, error) {
			if dt == weights.F16 {
				return weights.Float32ToF16(data)
			}
			return float32Bytes(data), nil
		}})
	}
	return out, nil
}

func float32Bytes(vals []float32) []byte {
	out := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// prepareEmpty creates dst, or accepts it when it exists and is empty.
func prepareEmpty(dst string) error {
	entries, err := os.ReadDir(dst)
	switch {
	case os.IsNotExist(err):
		return os.MkdirAll(dst, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("output folder %s is not empty", dst)
	}
	return nil
}
