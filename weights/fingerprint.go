package weights

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"

	"github.com/x448/float16"
)

// TensorReader returns the first n values of a floating-point parameter (by description name)
// as float32. Fingerprinting reads only small prefixes, so a browser can answer with range
// requests and a server without loading the 200 MB token embedding.
type TensorReader func(name string, n int) ([]float32, error)

// fingerprintRows is how many leading rows of the token embedding enter the fingerprint.
const fingerprintRows = 8

// TextEncoderFingerprint is a short stable string identifying the weights of a text encoder,
// stored in residual files so that a residual is only applied to the encoder it was trained
// on. It hashes the config's sizes and activation with a sample of the weights (the final
// layer norm, the first token-embedding rows, the first position embedding, the last layer's
// MLP output bias), each value rounded to float16 first: a float32 checkpoint and its float16
// conversion give the same fingerprint, while retrained or different weights do not.
func TextEncoderFingerprint(te *TextEncoder, read TensorReader) (string, error) {
	c := te.Config
	h := sha256.New()
	fmt.Fprintf(h, "cones2 text encoder v1\nvocab=%d width=%d inner=%d layers=%d heads=%d positions=%d act=%s\n",
		c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.MaxPositionEmbeddings, c.HiddenAct)
	w := c.HiddenSize
	last := te.Layers[len(te.Layers)-1]
	parts := []struct {
		name string
		n    int
	}{
		{join(te.FinalNorm.Name, "weight"), w},
		{join(te.FinalNorm.Name, "bias"), w},
		{join(te.TokenEmbedding.Name, "weight"), min(fingerprintRows, c.VocabSize) * w},
		{join(te.PositionEmbedding.Name, "weight"), w},
		{last.FC2.BiasName(), w},
	}
	var buf [2]byte
	for _, p := range parts {
		vals, err := read(p.name, p.n)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		if len(vals) != p.n {
			return "", fmt.Errorf("fingerprint: %s: got %d values, want %d", p.name, len(vals), p.n)
		}
		fmt.Fprintf(h, "%s %d\n", p.name, p.n)
		for _, v := range vals {
			binary.LittleEndian.PutUint16(buf[:], float16.Fromfloat32(v).Bits())
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ModelFamily names the family a text encoder belongs to, as residual files record it:
// "sd1" for the 768-wide quick_gelu CLIP ViT-L of Stable Diffusion 1.x, "sd2" for the
// 1024-wide gelu OpenCLIP ViT-H of 2.x, else "custom-<width>". Residuals only transfer within
// a family, and only exactly between equal fingerprints.
func ModelFamily(c TextEncoderConfig) string {
	switch {
	case c.HiddenSize == 768 && c.HiddenAct == "quick_gelu":
		return "sd1"
	case c.HiddenSize == 1024 && c.HiddenAct == "gelu":
		return "sd2"
	}
	return fmt.Sprintf("custom-%d", c.HiddenSize)
}

// MapReader serves a TensorReader from loaded tensors.
func MapReader(ts map[string]Tensor) TensorReader {
	return func(name string, n int) ([]float32, error) {
		t, ok := ts[name]
		if !ok {
			return nil, fmt.Errorf("%s: not loaded", name)
		}
		if n > len(t.Data) {
			return nil, fmt.Errorf("%s: %d values, want %d", name, len(t.Data), n)
		}
		return t.Data[:n], nil
	}
}

// FetchFunc reads n bytes at offset off of a file of a model folder (a path relative to the
// folder, as a Binding names it): a local read on the server, a Range request in the browser.
type FetchFunc func(file string, off, n int64) ([]byte, error)

// BindingReader serves a TensorReader from a binding, fetching only the bytes asked for.
func BindingReader(b *Binding, fetch FetchFunc) TensorReader {
	return func(name string, n int) ([]float32, error) {
		s, ok := b.Source(name)
		if !ok || !s.Tensor.DType.IsFloat() {
			return nil, fmt.Errorf("%s: no floating-point tensor bound", name)
		}
		size := int64(n * s.Tensor.DType.Size())
		if n < 0 || size > s.Tensor.End-s.Tensor.Begin {
			return nil, fmt.Errorf("%s: %d values asked of %d", name, n, s.Param.NumElements())
		}
		raw, err := fetch(s.File, s.Tensor.Begin, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.File, name, err)
		}
		return DecodeFloat32(s.Tensor.DType, raw)
	}
}

// PrefixReader serves a TensorReader from a binding over the files of fsys.
func PrefixReader(fsys fs.FS, b *Binding) TensorReader {
	return BindingReader(b, func(file string, off, n int64) ([]byte, error) {
		r, _, closeFn, err := openReaderAt(fsys, file)
		if err != nil {
			return nil, err
		}
		defer closeFn()
		raw := make([]byte, n)
		if err := readFull(r, raw, off); err != nil {
			return nil, err
		}
		return raw, nil
	})
}

// Fingerprint computes the TextEncoderFingerprint of the text encoder weights w.
func (w *Weights) Fingerprint(te *TextEncoder) (string, error) {
	b, err := w.Bind(te)
	if err != nil {
		return "", err
	}
	return TextEncoderFingerprint(te, PrefixReader(w.fsys, b))
}
