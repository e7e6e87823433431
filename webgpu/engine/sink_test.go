package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
	"github.com/x448/float16"
)

// TestConvertingChunks streams random tensors through the converter in random chunk sizes and
// checks the flushed bytes: whole, 4-aligned writes, equal to converting all at once.
func TestConvertingChunks(t *testing.T) {
	for _, c := range []struct {
		from weights.DType
		to   wgsl.DType
		n    int
	}{{weights.F32, wgsl.F16, 1}, {weights.F32, wgsl.F16, 3}, {weights.F32, wgsl.F16, 700001},
		{weights.F16, wgsl.F32, 5}, {weights.BF16, wgsl.F32, 77}, {weights.BF16, wgsl.F16, 1031}} {
		t.Run(fmt.Sprintf("%s->%s,n=%d", c.from, c.to, c.n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.n), 3))
			conv, err := conversion(c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			src := make([]byte, c.n*c.from.Size())
			want := make([]float32, c.n)
			for i := range want {
				v := float32(r.NormFloat64())
				switch c.from {
				case weights.F32:
					binary.LittleEndian.PutUint32(src[4*i:], math.Float32bits(v))
				case weights.F16:
					h := float16.Fromfloat32(v)
					binary.LittleEndian.PutUint16(src[2*i:], h.Bits())
					v = h.Float32()
				case weights.BF16:
					b := uint16(math.Float32bits(v) >> 16)
					binary.LittleEndian.PutUint16(src[2*i:], b)
					v = math.Float32frombits(uint32(b) << 16)
				}
				want[i] = v
			}
			var got []byte
			cv := &converting{conv: conv, flush: func(off int, b []byte) error {
				if off != len(got) || off%4 != 0 || len(b)%4 != 0 {
					return fmt.Errorf("flush of %d bytes at %d after %d", len(b), off, len(got))
				}
				got = append(got, b...)
				return nil
			}}
			for p := src; len(p) > 0; {
				n := min(len(p), 1+r.IntN(9000))
				if err := cv.write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
			}
			if err := cv.drain(true); err != nil {
				t.Fatal(err)
			}
			if want := (c.n*conv.out + 3) &^ 3; len(got) != want {
				t.Fatalf("%d bytes out, want %d", len(got), want)
			}
			for i, w := range want {
				var g float32
				if c.to == wgsl.F16 {
					g = float16.Frombits(binary.LittleEndian.Uint16(got[2*i:])).Float32()
					w = float16.Fromfloat32(w).Float32()
				} else {
					g = math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:]))
				}
				if g != w {
					t.Fatalf("element %d: %g, want %g", i, g, w)
				}
			}
		})
	}
	if _, err := conversion(weights.I64, wgsl.F32); err == nil {
		t.Error("I64 -> f32 accepted")
	}
}
