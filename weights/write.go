package weights

import (
	"fmt"
	"io"

	"github.com/nlpodyssey/safetensors"
)

// OutTensor is one tensor to write. Bytes produces its little-endian data when the writer
// reaches it, so a file is written holding one tensor in memory at a time.
type OutTensor struct {
	Name  string
	DType DType
	Shape []int
	Bytes func() ([]byte, error)
}

// NumBytes is the size of the tensor's data.
func (t OutTensor) NumBytes() int64 {
	n := int64(t.DType.Size())
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// WriteSafetensors writes tensors in safetensors format with the safetensors library's layout
// (header padded to 8 bytes, tensors ordered by dtype then name). Writing is deterministic:
// the same tensors give the same bytes.
func WriteSafetensors(w io.Writer, tensors []OutTensor, metadata map[string]string) error {
	var failed error
	views := make(map[string]lazyView, len(tensors))
	for _, t := range tensors {
		dt, err := libDType(t.DType)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if _, dup := views[t.Name]; dup {
			return fmt.Errorf("tensor %q written twice", t.Name)
		}
		shape := make([]uint64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = uint64(d)
		}
		views[t.Name] = lazyView{t: t, dtype: dt, shape: shape, failed: &failed}
	}
	if err := safetensors.SerializeToWriter(views, metadata, w); err != nil {
		return err
	}
	return failed
}

func libDType(d DType) (safetensors.DType, error) {
	switch d {
	case F32:
		return safetensors.F32, nil
	case F16:
		return safetensors.F16, nil
	case BF16:
		return safetensors.BF16, nil
	case I64:
		return safetensors.I64, nil
	}
	return 0, fmt.Errorf("unsupported dtype %q", d)
}

// lazyView adapts an OutTensor to the library's View. The View interface cannot return an
// error, so the first failure is recorded in *failed and later views write zeros; the writer's
// caller reports the failure and discards the file.
type lazyView struct {
	t      OutTensor
	dtype  safetensors.DType
	shape  []uint64
	failed *error
}

func (v lazyView) DType() safetensors.DType { return v.dtype }
func (v lazyView) Shape() []uint64          { return v.shape }
func (v lazyView) DataLen() uint64          { return uint64(v.t.NumBytes()) }

func (v lazyView) Data() []byte {
	if *v.failed != nil {
		return make([]byte, v.DataLen())
	}
	b, err := v.t.Bytes()
	if err == nil && uint64(len(b)) != v.DataLen() {
		err = fmt.Errorf("produced %d bytes, want %d", len(b), v.DataLen())
	}
	if err != nil {
		*v.failed = fmt.Errorf("tensor %q: %w", v.t.Name, err)
		return make([]byte, v.DataLen())
	}
	return b
}
