package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
)

// MaxHeaderBytes bounds the JSON header of a safetensors file. Real Stable Diffusion UNet
// headers are about 100 KB; the bound keeps a hostile length prefix from making the browser
// fetch or allocate gigabytes before anything has been checked.
const MaxHeaderBytes = 16 << 20

// DType is a safetensors element type. Only the types Stable Diffusion checkpoints use are
// accepted: F32, F16 and BF16 weights, and I64 for the text encoder's position_ids buffer.
type DType string

// The accepted element types.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
)

// Size is the number of bytes of one element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F16, BF16:
		return 2
	case I64:
		return 8
	}
	return 0
}

// IsFloat reports whether d is one of the floating-point types a weight may be stored in.
func (d DType) IsFloat() bool { return d == F32 || d == F16 || d == BF16 }

// FormatError reports a malformed or inconsistent file: a safetensors header, an index or a
// manifest. Callers branch on it to tell a corrupt download from an I/O failure.
type FormatError struct {
	File    string // the file, as the caller named it
	Tensor  string // the tensor concerned, if any
	Problem string
}

func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("%s: tensor %q: %s", e.File, e.Tensor, e.Problem)
	}
	return e.File + ": " + e.Problem
}

func formatErr(file, tensor, format string, args ...any) error {
	return &FormatError{File: file, Tensor: tensor, Problem: fmt.Sprintf(format, args...)}
}

// TensorInfo is one validated tensor entry of a safetensors header.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are absolute byte offsets into the file, [Begin, End): what an HTTP range
	// request for the tensor asks for.
	Begin, End int64
}

// NumElements is the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Header is the validated header of one safetensors file. Every tensor's byte range lies inside
// the data area, the ranges tile it exactly (no overlap, no gap, no trailing bytes) and each
// range holds exactly dtype size × number of elements bytes.
type Header struct {
	File      string            // name used in errors and in bindings (a path inside the model folder)
	Size      int64             // total file size
	DataStart int64             // 8 + header length: where the data area begins
	Metadata  map[string]string // the optional __metadata__ object
	Tensors   []TensorInfo      // in file order (ascending Begin)
	index     map[string]int
}

// Tensor looks a tensor up by name.
func (h *Header) Tensor(name string) (TensorInfo, bool) {
	i, ok := h.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return h.Tensors[i], true
}

// Names lists the tensor names in file order.
func (h *Header) Names() []string {
	out := make([]string, len(h.Tensors))
	for i, t := range h.Tensors {
		out[i] = t.Name
	}
	return out
}

// HeaderLen checks the 8-byte little-endian length prefix of a safetensors file of size bytes
// and returns the length of the JSON header that follows it. The browser calls it on the first
// 8 bytes of a range request before asking for the header itself.
func HeaderLen(file string, prefix []byte, size int64) (int64, error) {
	if size < 8 {
		return 0, formatErr(file, "", "file is %d bytes, shorter than the 8-byte header length prefix", size)
	}
	if len(prefix) < 8 {
		return 0, formatErr(file, "", "only %d bytes of the 8-byte header length prefix were read", len(prefix))
	}
	n := binary.LittleEndian.Uint64(prefix)
	if n > MaxHeaderBytes {
		return 0, formatErr(file, "", "header length %d exceeds the %d-byte limit", n, MaxHeaderBytes)
	}
	if int64(n) > size-8 {
		return 0, formatErr(file, "", "header length %d runs past the end of the %d-byte file", n, size)
	}
	return int64(n), nil
}

// ParseHeader reads and validates the header of the safetensors file r of size bytes, reading
// only the first 8+N bytes. file names the file in errors.
func ParseHeader(file string, r io.ReaderAt, size int64) (*Header, error) {
	var prefix [8]byte
	if size >= 8 {
		if err := readFull(r, prefix[:], 0); err != nil {
			return nil, fmt.Errorf("%s: read header length: %w", file, err)
		}
	}
	n, err := HeaderLen(file, prefix[:], size)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, 8); err != nil {
		return nil, fmt.Errorf("%s: read header: %w", file, err)
	}
	return DecodeHeader(file, buf, size)
}

// readFull reads len(buf) bytes at off; an io.EOF that comes with a full buffer is success.
func readFull(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// DecodeHeader validates header, the JSON bytes that follow the length prefix of a file of size
// bytes, and returns the tensors with absolute byte ranges.
func DecodeHeader(file string, header []byte, size int64) (*Header, error) {
	if int64(len(header)) > MaxHeaderBytes {
		return nil, formatErr(file, "", "header length %d exceeds the %d-byte limit", len(header), MaxHeaderBytes)
	}
	if int64(len(header)) > size-8 {
		return nil, formatErr(file, "", "header length %d runs past the end of the %d-byte file", len(header), size)
	}
	h := &Header{File: file, Size: size, DataStart: 8 + int64(len(header))}
	if err := decodeHeaderJSON(h, header); err != nil {
		return nil, err
	}
	if err := h.checkRanges(); err != nil {
		return nil, err
	}
	h.index = make(map[string]int, len(h.Tensors))
	for i, t := range h.Tensors {
		h.index[t.Name] = i
	}
	return h, nil
}

// rawEntry is one tensor entry as written in the JSON, offsets relative to the data area.
type rawEntry struct {
	dtype   string
	shape   []uint64
	offsets []uint64
	seen    map[string]bool
}

// decodeHeaderJSON walks the JSON token by token rather than unmarshalling into a map, so that
// duplicate keys (which a map would silently collapse) and unexpected fields are reported.
func decodeHeaderJSON(h *Header, header []byte) error {
	if !json.Valid(header) {
		return formatErr(h.File, "", "header is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return formatErr(h.File, "", "header is not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return formatErr(h.File, "", "header JSON: %v", err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return formatErr(h.File, name, "appears twice in the header")
		}
		seen[name] = true
		if name == "__metadata__" {
			if h.Metadata, err = decodeStringMap(dec); err != nil {
				return formatErr(h.File, "", "__metadata__: %v", err)
			}
			continue
		}
		e, err := decodeEntry(dec)
		if err != nil {
			return formatErr(h.File, name, "%v", err)
		}
		t, err := e.info(h, name)
		if err != nil {
			return err
		}
		h.Tensors = append(h.Tensors, t)
	}
	return nil
}

func decodeStringMap(dec *json.Decoder) (map[string]string, error) {
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	out := map[string]string{}
	for dec.More() {
		k, _ := dec.Token()
		key, _ := k.(string)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		v, err := dec.Token()
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value of %q is not a string", key)
		}
		out[key] = s
	}
	_, err := dec.Token() // '}'
	return out, err
}

func decodeEntry(dec *json.Decoder) (*rawEntry, error) {
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, errors.New("entry is not a JSON object")
	}
	e := &rawEntry{seen: map[string]bool{}}
	for dec.More() {
		k, _ := dec.Token()
		key, _ := k.(string)
		if e.seen[key] {
			return nil, fmt.Errorf("field %q appears twice", key)
		}
		e.seen[key] = true
		var err error
		switch key {
		case "dtype":
			tok, _ := dec.Token()
			s, ok := tok.(string)
			if !ok {
				return nil, errors.New(`"dtype" is not a string`)
			}
			e.dtype = s
		case "shape":
			e.shape, err = decodeUintArray(dec, "shape")
		case "data_offsets":
			e.offsets, err = decodeUintArray(dec, "data_offsets")
		default:
			return nil, fmt.Errorf("unexpected field %q", key)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	for _, f := range []string{"dtype", "shape", "data_offsets"} {
		if !e.seen[f] {
			return nil, fmt.Errorf("missing field %q", f)
		}
	}
	return e, nil
}

// maxArrayLen bounds shape and offset arrays; no real tensor has more than a handful of axes.
const maxArrayLen = 16

// maxDim bounds one axis even when another axis is zero (and the byte count with it), so that
// every dimension converts to int on every platform.
const maxDim = 1 << 47

func decodeUintArray(dec *json.Decoder, what string) ([]uint64, error) {
	if tok, _ := dec.Token(); tok != json.Delim('[') {
		return nil, fmt.Errorf("%q is not an array", what)
	}
	out := []uint64{}
	for dec.More() {
		tok, _ := dec.Token()
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%q holds a non-number", what)
		}
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q holds %s, not a natural number", what, num)
		}
		if len(out) == maxArrayLen {
			return nil, fmt.Errorf("%q has more than %d entries", what, maxArrayLen)
		}
		out = append(out, v)
	}
	_, err := dec.Token() // ']'
	return out, err
}

// info checks one entry on its own: known dtype, shape whose byte size neither overflows nor
// disagrees with the offsets, offsets inside the data area.
func (e *rawEntry) info(h *Header, name string) (TensorInfo, error) {
	dt := DType(e.dtype)
	if dt.Size() == 0 {
		return TensorInfo{}, formatErr(h.File, name, "unsupported dtype %q (want F32, F16, BF16 or I64)", e.dtype)
	}
	if len(e.offsets) != 2 {
		return TensorInfo{}, formatErr(h.File, name, "data_offsets has %d entries, want 2", len(e.offsets))
	}
	dataLen := uint64(h.Size - h.DataStart)
	begin, end := e.offsets[0], e.offsets[1]
	if end < begin {
		return TensorInfo{}, formatErr(h.File, name, "data_offsets [%d, %d] end before they begin", begin, end)
	}
	if end > dataLen {
		return TensorInfo{}, formatErr(h.File, name, "data_offsets [%d, %d] run past the end of the %d-byte data area", begin, end, dataLen)
	}
	shape := make([]int, len(e.shape))
	bytes := uint64(dt.Size())
	for i, d := range e.shape {
		// Multiply with a 128-bit product so that no shape, however large, wraps around
		// into a small byte count that happens to match the offsets.
		hi, lo := bits.Mul64(bytes, d)
		if hi != 0 || lo > dataLen || d > maxDim {
			return TensorInfo{}, formatErr(h.File, name, "shape %v is larger than the file", e.shape)
		}
		bytes = lo
		shape[i] = int(d)
	}
	if bytes != end-begin {
		return TensorInfo{}, formatErr(h.File, name, "dtype %s × shape %v is %d bytes, but data_offsets [%d, %d] hold %d",
			dt, e.shape, bytes, begin, end, end-begin)
	}
	return TensorInfo{Name: name, DType: dt, Shape: shape,
		Begin: h.DataStart + int64(begin), End: h.DataStart + int64(end)}, nil
}

// checkRanges sorts the tensors by offset and requires them to tile the data area exactly, as
// the safetensors format demands: an overlap would let two tensors alias, a gap or trailing
// bytes mean the file is not what its header says.
func (h *Header) checkRanges() error {
	slices.SortStableFunc(h.Tensors, func(a, b TensorInfo) int {
		if a.Begin != b.Begin {
			return compareInt64(a.Begin, b.Begin)
		}
		return compareInt64(a.End, b.End)
	})
	at := h.DataStart
	prev := ""
	for _, t := range h.Tensors {
		switch {
		case t.Begin < at:
			return formatErr(h.File, t.Name, "bytes [%d, %d) overlap tensor %q", t.Begin-h.DataStart, t.End-h.DataStart, prev)
		case t.Begin > at:
			return formatErr(h.File, t.Name, "%d unreferenced bytes precede it in the data area", t.Begin-at)
		}
		at, prev = t.End, t.Name
	}
	if at != h.Size {
		return formatErr(h.File, "", "%d bytes after the last tensor are not referenced by the header", h.Size-at)
	}
	return nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
