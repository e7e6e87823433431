package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/x448/float16"
)

// stFile assembles a safetensors file from a literal header and a data area.
func stFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func TestParseHeaderValid(t *testing.T) {
	data := make([]byte, 16+8+6)
	file := stFile(`{"__metadata__":{"format":"pt"},`+
		`"b":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},`+
		`"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},`+
		`"ids":{"dtype":"I64","shape":[1,1],"data_offsets":[16,24]}}  `, data)
	h, err := ParseHeader("m.safetensors", bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.Names(), ","); got != "a,ids,b" {
		t.Errorf("file order %s, want a,ids,b", got)
	}
	a, _ := h.Tensor("a")
	if a.Begin != h.DataStart || a.End != h.DataStart+16 || a.NumElements() != 4 {
		t.Errorf("a: %+v (data starts at %d)", a, h.DataStart)
	}
	if h.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", h.Metadata)
	}
	if _, ok := h.Tensor("zz"); ok {
		t.Error("found a tensor that does not exist")
	}
}

// TestParseHeaderMalformed feeds one broken file per check the validator makes; each must fail
// with a *FormatError naming the file and the problem.
func TestParseHeaderMalformed(t *testing.T) {
	f32 := func(shape, offsets string) string {
		return `{"dtype":"F32","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<40)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "file is 0 bytes, shorter than the 8-byte"},
		{"truncated prefix", []byte{4, 0, 0}, "file is 3 bytes, shorter than the 8-byte"},
		{"header length beyond file", append(binary.LittleEndian.AppendUint64(nil, 100), `{}`...), "runs past the end"},
		{"header length over limit", append(hugeLen, `{}`...), "exceeds the"},
		{"not json", stFile(`{"a":`, nil), "not valid JSON"},
		{"trailing garbage", stFile(`{} x`, nil), "not valid JSON"},
		{"not an object", stFile(`[1,2]`, nil), "not a JSON object"},
		{"entry not an object", stFile(`{"a":3}`, nil), "not a JSON object"},
		{"duplicate tensor", stFile(`{"a":`+f32(`[1]`, `[0,4]`)+`,"a":`+f32(`[1]`, `[0,4]`)+`}`, make([]byte, 4)), "appears twice"},
		{"duplicate field", stFile(`{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "appears twice"},
		{"unknown dtype", stFile(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), "unsupported dtype"},
		{"unsupported int dtype", stFile(`{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "unsupported dtype"},
		{"missing field", stFile(`{"a":{"dtype":"F32","shape":[1]}}`, make([]byte, 4)), `missing field "data_offsets"`},
		{"extra field", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, make([]byte, 4)), "unexpected field"},
		{"negative dim", stFile(`{"a":`+f32(`[-1]`, `[0,4]`)+`}`, make([]byte, 4)), "not a natural number"},
		{"fractional dim", stFile(`{"a":`+f32(`[1.5]`, `[0,4]`)+`}`, make([]byte, 4)), "not a natural number"},
		{"three offsets", stFile(`{"a":`+f32(`[1]`, `[0,4,8]`)+`}`, make([]byte, 4)), "has 3 entries"},
		{"end before begin", stFile(`{"a":`+f32(`[1]`, `[4,0]`)+`}`, make([]byte, 4)), "end before they begin"},
		{"offset past end", stFile(`{"a":`+f32(`[2]`, `[0,8]`)+`}`, make([]byte, 4)), "past the end"},
		{"dtype shape mismatch", stFile(`{"a":`+f32(`[1]`, `[0,8]`)+`}`, make([]byte, 8)), "is 4 bytes, but data_offsets [0, 8] hold 8"},
		{"shape overflow", stFile(`{"a":`+f32(`[4294967296,4294967296,4294967296]`, `[0,0]`)+`}`, nil), "larger than the file"},
		{"overlap", stFile(`{"a":`+f32(`[2]`, `[0,8]`)+`,"b":`+f32(`[1]`, `[4,8]`)+`}`, make([]byte, 8)), "overlap tensor"},
		{"gap", stFile(`{"a":`+f32(`[1]`, `[4,8]`)+`}`, make([]byte, 8)), "unreferenced bytes precede"},
		{"trailing bytes", stFile(`{"a":`+f32(`[1]`, `[0,4]`)+`}`, make([]byte, 8)), "after the last tensor"},
		{"metadata not strings", stFile(`{"__metadata__":{"a":1}}`, nil), "not a string"},
		{"long shape", stFile(`{"a":`+f32(`[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]`, `[0,4]`)+`}`, make([]byte, 4)), "more than 16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHeader("bad.safetensors", bytes.NewReader(c.file), int64(len(c.file)))
			if err == nil {
				t.Fatal("accepted")
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("%v is not a *FormatError", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bad.safetensors: ") {
				t.Fatalf("error %q, want the file name and %q", err, c.want)
			}
		})
	}
}

// TestParseHeaderShortRead checks that a reader returning fewer bytes than its claimed size is
// an I/O error, not a panic or a half-parsed header.
func TestParseHeaderShortRead(t *testing.T) {
	file := stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))
	r := bytes.NewReader(file[:20])
	if _, err := ParseHeader("short.safetensors", r, int64(len(file))); err == nil || !strings.Contains(err.Error(), "short.safetensors") {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeFloat32(t *testing.T) {
	cases := []struct {
		name string
		dt   DType
		raw  []byte
		want []float32
	}{
		{"f32", F32, binary.LittleEndian.AppendUint32(nil, math.Float32bits(-2.5)), []float32{-2.5}},
		{"f16", F16, []byte{0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b}, []float32{1, -2, 65504}},
		{"f16 subnormal", F16, []byte{0x01, 0x00}, []float32{5.9604645e-08}},
		{"bf16", BF16, []byte{0x80, 0x3f, 0x49, 0x40}, []float32{1, 3.140625}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeFloat32(c.dt, c.raw)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.want {
				if got[i] != c.want[i] {
					t.Fatalf("[%d] = %g, want %g", i, got[i], c.want[i])
				}
			}
		})
	}
	if _, err := DecodeFloat32(I64, make([]byte, 8)); err == nil {
		t.Error("decoded I64 as float")
	}
	if _, err := DecodeFloat32(F32, make([]byte, 6)); err == nil {
		t.Error("decoded 6 bytes as F32")
	}
}

func TestEncodeF16(t *testing.T) {
	got, err := Float32ToF16([]float32{1, -2, 0.1, 65504, float32(math.Inf(-1))})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x00, 0x3c, 0x00, 0xc0, 0x66, 0x2e, 0xff, 0x7b, 0x00, 0xfc}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
	if _, err := Float32ToF16([]float32{1e6}); err == nil || !strings.Contains(err.Error(), "does not fit in float16") {
		t.Errorf("1e6: %v", err)
	}
	// F16 input passes through untouched (same backing bytes).
	raw := []byte{1, 2, 3, 4}
	if out, _ := EncodeF16(F16, raw); &out[0] != &raw[0] {
		t.Error("F16 input was copied")
	}
	// BF16 1.0 -> F16 1.0.
	if out, _ := EncodeF16(BF16, []byte{0x80, 0x3f}); !bytes.Equal(out, []byte{0x00, 0x3c}) {
		t.Errorf("bf16 1.0 -> % x", out)
	}
}

func TestReadTensors(t *testing.T) {
	data := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	data = binary.LittleEndian.AppendUint64(data, 7)
	file := stFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"ids":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}}`, data)
	r := bytes.NewReader(file)
	h, err := ParseHeader("x", r, int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := h.ReadFloat32(r, "w"); err != nil || v[0] != 1.5 {
		t.Errorf("w: %v %v", v, err)
	}
	if v, err := h.ReadF16(r, "w"); err != nil || !bytes.Equal(v, []byte{0x00, 0x3e}) {
		t.Errorf("w as f16: % x %v", v, err)
	}
	if v, err := h.ReadInt64(r, "ids"); err != nil || v[0] != 7 {
		t.Errorf("ids: %v %v", v, err)
	}
	if _, err := h.ReadInt64(r, "w"); err == nil {
		t.Error("read F32 as I64")
	}
	if _, err := h.ReadFloat32(r, "ids"); err == nil {
		t.Error("read I64 as float")
	}
	if _, err := h.ReadRaw(r, "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
}

// TestDecodeF16Exhaustive checks the lookup table against the float16 library for every bit
// pattern, NaNs included (compared by bits).
func TestDecodeF16Exhaustive(t *testing.T) {
	raw := make([]byte, 2<<16)
	for i := range 1 << 16 {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(i))
	}
	got, err := DecodeFloat32(F16, raw)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if want := float16.Frombits(uint16(i)).Float32(); math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("%#04x: %g, want %g", i, v, want)
		}
	}
}
