package residual

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nlpodyssey/safetensors"
)

// FormatVersion is the residual file format this package writes and reads.
const FormatVersion = 1

// Size bounds of a residual file. The largest valid file (MaxTokens x MaxWidth float32 plus the
// header) is well under MaxFileSize.
const (
	MaxFileSize    = 512 << 10
	maxHeaderBytes = 64 << 10
)

// The file's tensor and metadata keys.
const (
	tensorName     = "residual"
	formatName     = "cones2.residual"
	keyFormat      = "format"
	keyVersion     = "format_version"
	keyWord        = "word"
	keyFamily      = "model_family"
	keyFingerprint = "text_encoder"
	keyWidth       = "width"
	keyTokens      = "tokens"
	keyCreated     = "created"
	trainPrefix    = "train."
)

// Marshal writes the residual as a safetensors file: the float32 tensor "residual" ([width] for
// a one-token word, else [tokens, width]) and the metadata keys format, format_version, word,
// model_family, text_encoder, width, tokens, created (RFC 3339, UTC) and train.<setting>.
func (r *Residual) Marshal() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("residual %q: %w", r.Word, err)
	}
	shape := []uint64{uint64(r.Width)}
	if r.Tokens > 1 {
		shape = []uint64{uint64(r.Tokens), uint64(r.Width)}
	}
	raw := make([]byte, 4*len(r.Data))
	for i, v := range r.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	tv, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
	if err != nil {
		return nil, fmt.Errorf("residual %q: %w", r.Word, err)
	}
	meta := map[string]string{
		keyFormat:      formatName,
		keyVersion:     strconv.Itoa(FormatVersion),
		keyWord:        r.Word,
		keyFamily:      r.Model.Family,
		keyFingerprint: r.Model.TextEncoder,
		keyWidth:       strconv.Itoa(r.Width),
		keyTokens:      strconv.Itoa(r.Tokens),
		keyCreated:     r.Created.UTC().Format(time.RFC3339Nano),
	}
	for k, v := range r.Training {
		meta[trainPrefix+k] = v
	}
	out, err := safetensors.Serialize(map[string]safetensors.TensorView{tensorName: tv}, meta)
	if err != nil {
		return nil, fmt.Errorf("residual %q: %w", r.Word, err)
	}
	return out, nil
}

// Load reads a residual file and checks it against the loaded text encoder (see Check).
func Load(data []byte, m Model, width int) (*Residual, error) {
	r, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	if err := r.Check(m, width); err != nil {
		return nil, err
	}
	return r, nil
}

// Unmarshal parses and validates a residual file. It is written for untrusted bytes: the size
// and header length are bounded first, then every key, shape and value is checked.
func Unmarshal(data []byte) (*Residual, error) {
	if len(data) > MaxFileSize {
		return nil, &TooLargeError{What: "residual file", Size: int64(len(data)), Limit: MaxFileSize}
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("residual file: %d bytes, too short for a safetensors header", len(data))
	}
	if n := binary.LittleEndian.Uint64(data); n > maxHeaderBytes || n > uint64(len(data)-8) {
		return nil, fmt.Errorf("residual file: header length %d does not fit (file %d bytes, header at most %d)",
			n, len(data), maxHeaderBytes)
	}
	n, meta, err := safetensors.ReadMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("residual file: not a valid safetensors file: %w", err)
	}
	infos := meta.Tensors()
	info, ok := infos[tensorName]
	if !ok || len(infos) != 1 {
		names := make([]string, 0, len(infos))
		for k := range infos {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("residual file: holds tensors %q, want exactly %q", clipNames(names), tensorName)
	}
	r, err := fromMetadata(meta.Metadata())
	if err != nil {
		return nil, fmt.Errorf("residual file: %w", err)
	}
	// ReadMetadata checked that the offsets tile the data exactly.
	raw := data[8+n+info.DataOffsets[0] : 8+n+info.DataOffsets[1]]
	if err := r.setData(info.DType, info.Shape, raw); err != nil {
		return nil, fmt.Errorf("residual file for %q: %w", r.Word, err)
	}
	return r, nil
}

// fromMetadata reads every metadata key; unknown keys are errors (a new key means a new version).
func fromMetadata(meta map[string]string) (*Residual, error) {
	if meta[keyFormat] != formatName {
		return nil, fmt.Errorf("metadata %q is %q, not %q: not a residual file", keyFormat, clip(meta[keyFormat]), formatName)
	}
	if v := meta[keyVersion]; v != strconv.Itoa(FormatVersion) {
		return nil, &VersionError{Got: strconv.Quote(clip(v))}
	}
	r := &Residual{Word: meta[keyWord], Model: Model{Family: meta[keyFamily], TextEncoder: meta[keyFingerprint]}}
	if err := checkWord(r.Word); err != nil {
		return nil, fmt.Errorf("metadata %q: %w", keyWord, err)
	}
	var err error
	if r.Width, err = metaInt(meta, keyWidth); err != nil {
		return nil, err
	}
	if r.Tokens, err = metaInt(meta, keyTokens); err != nil {
		return nil, err
	}
	if err := checkShape(r.Tokens, r.Width); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if r.Created, err = time.Parse(time.RFC3339Nano, meta[keyCreated]); err != nil {
		return nil, fmt.Errorf("metadata %q is %q, not an RFC 3339 time", keyCreated, clip(meta[keyCreated]))
	}
	for k, v := range meta {
		switch {
		case strings.HasPrefix(k, trainPrefix):
			if r.Training == nil {
				r.Training = map[string]string{}
			}
			r.Training[k[len(trainPrefix):]] = v
		case !slices.Contains([]string{keyFormat, keyVersion, keyWord, keyFamily, keyFingerprint, keyWidth, keyTokens, keyCreated}, k):
			return nil, fmt.Errorf("unknown metadata key %q", clip(k))
		}
	}
	return r, nil
}

func metaInt(meta map[string]string, key string) (int, error) {
	n, err := strconv.Atoi(meta[key])
	if err != nil {
		return 0, fmt.Errorf("metadata %q is %q, not an integer", key, clip(meta[key]))
	}
	return n, nil
}

// setData checks the tensor against the metadata and the bounds, then decodes it.
func (r *Residual) setData(dt safetensors.DType, shape []uint64, raw []byte) error {
	if dt != safetensors.F32 {
		return fmt.Errorf("tensor %q is %v, want F32", tensorName, dt)
	}
	want := []uint64{uint64(r.Width)}
	if r.Tokens != 1 {
		want = []uint64{uint64(r.Tokens), uint64(r.Width)}
	}
	one := []uint64{1, uint64(r.Width)}
	if !slices.Equal(shape, want) && !(r.Tokens == 1 && slices.Equal(shape, one)) {
		return fmt.Errorf("tensor shape %v does not match the metadata (%d tokens of width %d)", clipShape(shape), r.Tokens, r.Width)
	}
	r.Data = make([]float32, len(raw)/4)
	for i := range r.Data {
		r.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return r.validate()
}

func clip(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func clipNames(names []string) []string {
	if len(names) > 4 {
		names = append(names[:4:4], "...")
	}
	for i := range names {
		names[i] = clip(names[i])
	}
	return names
}

func clipShape(s []uint64) []uint64 {
	if len(s) > 4 {
		return s[:4]
	}
	return s
}
