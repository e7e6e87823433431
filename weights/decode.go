package weights

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/x448/float16"
)

// ReadRaw reads the bytes of a tensor of this header from r (the file the header came from).
func (h *Header) ReadRaw(r io.ReaderAt, name string) ([]byte, error) {
	t, ok := h.Tensor(name)
	if !ok {
		return nil, formatErr(h.File, name, "no such tensor")
	}
	return h.readRange(r, t)
}

func (h *Header) readRange(r io.ReaderAt, t TensorInfo) ([]byte, error) {
	buf := make([]byte, t.End-t.Begin)
	if err := readFull(r, buf, t.Begin); err != nil {
		return nil, fmt.Errorf("%s: tensor %q: read bytes [%d, %d): %w", h.File, t.Name, t.Begin, t.End, err)
	}
	return buf, nil
}

// ReadFloat32 reads a floating-point tensor (F32, F16 or BF16) as float32.
func (h *Header) ReadFloat32(r io.ReaderAt, name string) ([]float32, error) {
	raw, err := h.ReadRaw(r, name)
	if err != nil {
		return nil, err
	}
	t, _ := h.Tensor(name)
	out, err := DecodeFloat32(t.DType, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", h.File, name, err)
	}
	return out, nil
}

// ReadF16 reads a floating-point tensor as little-endian IEEE half-precision bytes, ready to be
// copied into a GPU buffer; F16 tensors come back untouched.
func (h *Header) ReadF16(r io.ReaderAt, name string) ([]byte, error) {
	raw, err := h.ReadRaw(r, name)
	if err != nil {
		return nil, err
	}
	t, _ := h.Tensor(name)
	out, err := EncodeF16(t.DType, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", h.File, name, err)
	}
	return out, nil
}

// ReadInt64 reads an I64 tensor.
func (h *Header) ReadInt64(r io.ReaderAt, name string) ([]int64, error) {
	raw, err := h.ReadRaw(r, name)
	if err != nil {
		return nil, err
	}
	if t, _ := h.Tensor(name); t.DType != I64 {
		return nil, formatErr(h.File, name, "dtype %s, want I64", t.DType)
	}
	out := make([]int64, len(raw)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out, nil
}

// f16Table maps every float16 bit pattern to its float32 value: a 256 KB table, built once
// and never written again, that makes widening a lookup (several times faster than converting
// each value).
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16.Frombits(uint16(i)).Float32()
	}
	return &t
})

// DecodeFloat32 converts little-endian F32, F16 or BF16 bytes to float32.
func DecodeFloat32(dt DType, raw []byte) ([]float32, error) {
	if err := checkFloatBytes(dt, raw); err != nil {
		return nil, err
	}
	out := make([]float32, len(raw)/dt.Size())
	switch dt {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		table := f16Table()
		for i := range out {
			out[i] = table[binary.LittleEndian.Uint16(raw[2*i:])]
		}
	case BF16:
		// bfloat16 is the top half of a float32, so widening is a shift.
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	}
	return out, nil
}

// EncodeF16 converts little-endian F32, F16 or BF16 bytes to little-endian F16 bytes, rounding
// to nearest even. A finite value too large for float16 is an error rather than a silent
// infinity: it would poison every activation downstream of it.
func EncodeF16(dt DType, raw []byte) ([]byte, error) {
	if err := checkFloatBytes(dt, raw); err != nil {
		return nil, err
	}
	if dt == F16 {
		return raw, nil
	}
	// Convert element by element rather than through a []float32, so that converting a
	// 200 MB float32 tensor needs only its 100 MB result besides the input.
	size := dt.Size()
	out := make([]byte, len(raw)/size*2)
	for i := range len(raw) / size {
		var v float32
		if dt == F32 {
			v = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		} else {
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
		if err := putF16(out[2*i:], v, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Float32ToF16 rounds float32 values to little-endian F16 bytes (see EncodeF16).
func Float32ToF16(vals []float32) ([]byte, error) {
	out := make([]byte, 2*len(vals))
	for i, v := range vals {
		if err := putF16(out[2*i:], v, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func putF16(dst []byte, v float32, i int) error {
	h := float16.Fromfloat32(v)
	if h.IsInf(0) && !math.IsInf(float64(v), 0) {
		return fmt.Errorf("value %g at index %d does not fit in float16", v, i)
	}
	binary.LittleEndian.PutUint16(dst, h.Bits())
	return nil
}

func checkFloatBytes(dt DType, raw []byte) error {
	if !dt.IsFloat() {
		return fmt.Errorf("dtype %s is not a floating-point type", dt)
	}
	if len(raw)%dt.Size() != 0 {
		return fmt.Errorf("%d bytes is not a whole number of %s elements", len(raw), dt)
	}
	return nil
}
