package weights

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// realHeader builds the JSON header a float16 SD 2.1 component would have, from the
// description of the real config, and the file size it implies.
func realHeader(b *testing.B, comp string) ([]byte, int64) {
	b.Helper()
	dir := fixture.External(b, filepath.Join("sd21-configs", "stable-diffusion-2-1"))
	data, err := os.ReadFile(filepath.Join(dir, comp, "config.json"))
	if err != nil {
		b.Fatal(err)
	}
	var m Module
	switch comp {
	case UNetDir:
		c, err := ParseUNetConfig(data)
		if err != nil {
			b.Fatal(err)
		}
		m, _ = DescribeUNet(c)
	case TextEncoderDir:
		c, err := ParseTextEncoderConfig(data)
		if err != nil {
			b.Fatal(err)
		}
		m, _ = DescribeTextEncoder(c)
	}
	entries := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, p := range m.Params() {
		n := int64(p.NumElements() * 2)
		dt := F16
		if p.DType == I64 {
			dt, n = I64, int64(p.NumElements()*8)
		}
		entries[p.Name] = map[string]any{"dtype": dt, "shape": p.Shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	hdr, err := json.Marshal(entries)
	if err != nil {
		b.Fatal(err)
	}
	return hdr, 8 + int64(len(hdr)) + off
}

// BenchmarkParseHeader validates the header of a real-size float16 checkpoint (what the
// browser does before its first range request).
func BenchmarkParseHeader(b *testing.B) {
	for _, comp := range []string{UNetDir, TextEncoderDir} {
		hdr, size := realHeader(b, comp)
		b.Run(fmt.Sprintf("model=sd21,component=%s", comp), func(b *testing.B) {
			b.SetBytes(int64(len(hdr)))
			var n int
			for b.Loop() {
				h, err := DecodeHeader("bench", hdr, size)
				if err != nil {
					b.Fatal(err)
				}
				n = len(h.Tensors)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tensors/s")
		})
	}
}

// BenchmarkDecodeFloat32 widens F16/BF16/F32 bytes to float32 (native loading).
func BenchmarkDecodeFloat32(b *testing.B) {
	const n = 1 << 20
	for _, dt := range []DType{F16, BF16, F32} {
		raw := make([]byte, n*dt.Size())
		for i := range raw {
			raw[i] = byte(i * 7)
		}
		if dt == F16 {
			for i := 1; i < len(raw); i += 2 {
				raw[i] &= 0x7b // keep exponents finite
			}
		}
		b.Run(fmt.Sprintf("dtype=%s,n=%d", dt, n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := DecodeFloat32(dt, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}

// BenchmarkEncodeF16 rounds float32 weights to float16 (the conversion's inner loop).
func BenchmarkEncodeF16(b *testing.B) {
	const n = 1 << 20
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%2000-1000) / 997
	}
	raw := float32Bytes(vals)
	b.Run(fmt.Sprintf("dtype=F32,n=%d", n), func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := EncodeF16(F32, raw); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
	})
}
