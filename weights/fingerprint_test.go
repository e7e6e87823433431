package weights

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

func TestTextEncoderFingerprint(t *testing.T) {
	// Two folders may share a text encoder (the same model with other metadata, or a fine-tuned
	// UNet); what must never happen is one fingerprint for different weights.
	type encoder struct {
		name string
		sum  [sha256.Size]byte
	}
	seen := map[string]encoder{}
	for _, v := range fixture.Variants(t) {
		f, err := Open(v.Dir)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := f.Describe()
		w, _ := f.Weights(TextEncoderDir)
		ts, err := w.LoadFloat32(m.TextEncoder)
		if err != nil {
			t.Fatal(err)
		}
		base, err := TextEncoderFingerprint(m.TextEncoder, MapReader(ts))
		if err != nil {
			t.Fatal(err)
		}
		if prefix, _ := w.Fingerprint(m.TextEncoder); prefix != base {
			t.Errorf("%s: prefix reader gives %s, map reader %s", v.Name, prefix, base)
		}
		sum := tensorsSum(m.TextEncoder, ts)
		if other, dup := seen[base]; dup && other.sum != sum {
			t.Errorf("%s and %s have different text encoders but share fingerprint %s", v.Name, other.name, base)
		}
		seen[base] = encoder{v.Name, sum}
		name := "text_model.final_layer_norm.bias"
		orig := ts[name].Data[3]
		for _, c := range []struct {
			what  string
			value float32
			same  bool
		}{
			{"below fp16 resolution", math.Nextafter32(orig, float32(math.Inf(1))), true},
			{"a real change", orig + 0.01, false},
		} {
			edited := maps.Clone(ts)
			d := slices.Clone(ts[name].Data)
			d[3] = c.value
			edited[name] = Tensor{Shape: ts[name].Shape, Data: d}
			got, err := TextEncoderFingerprint(m.TextEncoder, MapReader(edited))
			if err != nil {
				t.Fatal(err)
			}
			if (got == base) != c.same {
				t.Errorf("%s %s: fingerprint %s vs %s", v.Name, c.what, got, base)
			}
		}
		// A different config with the same weights is a different encoder.
		cfg := m.TextEncoder.Config
		cfg.HiddenAct = map[string]string{"gelu": "quick_gelu", "quick_gelu": "gelu"}[cfg.HiddenAct]
		te2, _ := DescribeTextEncoder(cfg)
		if got, _ := TextEncoderFingerprint(te2, MapReader(ts)); got == base {
			t.Errorf("%s: activation not part of the fingerprint", v.Name)
		}
		delete(ts, name)
		if _, err := TextEncoderFingerprint(m.TextEncoder, MapReader(ts)); err == nil {
			t.Errorf("%s: fingerprint without the final norm", v.Name)
		}
	}
}

// tensorsSum hashes a text encoder's configuration and every value of its weights.
func tensorsSum(te *TextEncoder, ts map[string]Tensor) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%+v\n", te.Config)
	for _, name := range slices.Sorted(maps.Keys(ts)) {
		fmt.Fprintf(h, "%s %v\n", name, ts[name].Shape)
		b := make([]byte, 0, 4*len(ts[name].Data))
		for _, x := range ts[name].Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		h.Write(b)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

func TestModelFamily(t *testing.T) {
	for _, c := range []struct {
		width int
		act   string
		want  string
	}{
		{768, "quick_gelu", "sd1"},
		{1024, "gelu", "sd2"},
		{1024, "quick_gelu", "custom-1024"},
		{32, "gelu", "custom-32"},
	} {
		if got := ModelFamily(TextEncoderConfig{HiddenSize: c.width, HiddenAct: c.act}); got != c.want {
			t.Errorf("%d %s: %s, want %s", c.width, c.act, got, c.want)
		}
	}
}
