package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/userfile"
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/weights"
)

// writeOutputs writes the PNG (settings in a tEXt chunk, in the page's format so that its
// gallery can reuse them) and, when asked, the final latents. It returns what it wrote, for
// people: each file with its size, and the settings that made the image.
func writeOutputs(f *generateFlags, req *request, res *generate.Result) (string, error) {
	st, err := recordSettings(f, req, res)
	if err != nil {
		return "", err
	}
	text, err := st.Marshal()
	if err != nil {
		return "", err
	}
	img, err := encodePNG(res)
	if err != nil {
		return "", err
	}
	if img, err = st.ToPNG(img); err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	if err := userfile.WriteFile(f.out, img, 0o644); err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	report := fmt.Sprintf("wrote %s: %dx%d PNG, %s\n  %s\n", f.out, st.Width, st.Height, humanBytes(len(img)), describeSettings(st, req.Layout != nil))
	if f.latents == "" {
		return report, nil
	}
	n, err := writeLatents(f.latents, res.Latents, string(text))
	if err != nil {
		return "", err
	}
	return report + fmt.Sprintf("wrote %s: the final latents %v, %s\n", f.latents, res.Latents.Shape, humanBytes(n)), nil
}

// describeSettings is one line with everything needed to make the image again.
func describeSettings(st settings.Settings, withLayout bool) string {
	var subjects []string
	for _, s := range st.Subjects {
		subjects = append(subjects, s.Word)
	}
	line := fmt.Sprintf("prompt %q, seed %d, sampler %s, %d steps (%d guided), guidance weight %g, CFG %g",
		st.Prompt, st.Seed, st.Sampler, st.Steps, st.GuidanceSteps, st.GuidanceWeight, st.CFGScale)
	if len(subjects) > 0 {
		line += ", subjects " + strings.Join(subjects, ", ")
	}
	if withLayout {
		line += ", with the layout"
	}
	return line
}

// humanBytes writes a file size the way people read it.
func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// recordSettings describes the run in the page's settings format: everything -from (and the
// page's "use these settings") needs to make the image again, the residual files by content.
func recordSettings(f *generateFlags, req *request, res *generate.Result) (settings.Settings, error) {
	st := res.Settings // the one settings type: the record is the run's own, size resolved
	st.Format, st.Model = settings.Format, filepath.Base(filepath.Clean(f.model))
	st.Subjects, st.Layout, st.Regions = nil, nil, nil
	words := make([]string, 0, len(req.residualFiles))
	for w := range req.residualFiles {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		sum := sha256.Sum256(req.residualFiles[w])
		st.Subjects = append(st.Subjects, settings.Subject{Word: w, Residual: hex.EncodeToString(sum[:])})
	}
	if req.Layout != nil {
		// Boxes as our layout JSON, a colour layout's masks as small pictures beside it.
		var err error
		if st.Layout, st.Regions, err = settings.SplitLayout(req.Layout); err != nil {
			return settings.Settings{}, fmt.Errorf("generate: recording the layout: %w", err)
		}
	}
	return st, nil
}

// encodePNG encodes the result's RGB pixels as an 8-bit RGB PNG.
func encodePNG(res *generate.Result) ([]byte, error) {
	w, h := res.Settings.Width, res.Settings.Height
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < w*h; p++ {
		copy(img.Pix[4*p:], res.Pixels[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("generate: png: %w", err)
	}
	return buf.Bytes(), nil
}

// writeLatents writes the latents as a safetensors file with one float32 tensor "latents"
// (NCHW) and the settings in its metadata.
func writeLatents(path string, lat weights.Tensor, settingsJSON string) (int, error) {
	t := weights.OutTensor{Name: "latents", DType: weights.F32, Shape: lat.Shape, Bytes: func() ([]byte, error) {
		b := make([]byte, 0, 4*len(lat.Data))
		for _, v := range lat.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b, nil
	}}
	var buf bytes.Buffer
	if err := weights.WriteSafetensors(&buf, []weights.OutTensor{t}, map[string]string{"settings": settingsJSON}); err != nil {
		return 0, fmt.Errorf("generate: latents: %w", err)
	}
	if err := userfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return 0, fmt.Errorf("generate: %w", err)
	}
	return buf.Len(), nil
}
