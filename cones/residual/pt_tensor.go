package residual

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/x448/float16"
)

// storageKind is one of the torch storage classes a residual may use.
type storageKind struct {
	name     string
	elemSize int
	decode   func(b []byte) float32
}

var (
	floatStorage = storageKind{"FloatStorage", 4, func(b []byte) float32 {
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	}}
	halfStorage = storageKind{"HalfStorage", 2, func(b []byte) float32 {
		return float16.Frombits(binary.LittleEndian.Uint16(b)).Float32()
	}}
	bfloat16Storage = storageKind{"BFloat16Storage", 2, func(b []byte) float32 {
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
	}}
)

// storageClass stands for torch.<Kind>Storage while unpickling.
type storageClass struct{ kind *storageKind }

// storageRef is a persistent storage record: not read until the tensor is known to fit in it.
type storageRef struct {
	kind   *storageKind
	numel  int
	record *zip.File
}

// ptTensor is what torch._utils._rebuild_tensor_v2 describes: a strided view of a storage.
type ptTensor struct {
	storage      *storageRef
	offset       int
	size, stride []int
}

// rebuildTensor stands for torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
// stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 called with %d arguments, want 6 or 7", len(args))
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is a %s, not a storage", pyType(args[0]))
	}
	offset, ok := args[1].(int)
	if !ok || offset < 0 {
		return nil, errors.New("_rebuild_tensor_v2: storage offset is not a non-negative integer")
	}
	size, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d sizes and %d strides", len(size), len(stride))
	}
	return &ptTensor{storage: st, offset: offset, size: size, stride: stride}, nil
}

func intTuple(v any, what string) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok || t.Len() > 8 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %s is not a short tuple", what)
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("_rebuild_tensor_v2: %s holds a %s, not a non-negative integer", what, pyType(t.Get(i)))
		}
		out[i] = n
	}
	return out, nil
}

// findClass resolves the globals of the allow list; anything else is an error.
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch.FloatStorage":
		return &storageClass{&floatStorage}, nil
	case "torch.HalfStorage":
		return &storageClass{&halfStorage}, nil
	case "torch.BFloat16Storage":
		return &storageClass{&bfloat16Storage}, nil
	}
	return nil, fmt.Errorf("pickle refers to %s.%s, which a tensor file never needs", clip(module), clip(name))
}

// unpickleTensor runs data.pkl with the allow list and returns the tensor it describes.
func (a *archive) unpickleTensor() (*ptTensor, error) {
	p, err := a.read(a.records[a.prefix+"data.pkl"], maxPickleBytes)
	if err != nil {
		return nil, err
	}
	if err := scanPickle(p); err != nil {
		return nil, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(p))
	u.FindClass = findClass
	storages := map[string]*storageRef{}
	u.PersistentLoad = func(id any) (any, error) { return a.persistentLoad(id, storages) }
	obj, err := load(&u)
	if err != nil {
		return nil, err
	}
	t, ok := obj.(*ptTensor)
	if !ok {
		return nil, fmt.Errorf("data.pkl holds a %s, not a tensor", pyType(obj))
	}
	return t, nil
}

// errMalformed marks a pickle that made gopickle panic (it indexes some stacks unchecked).
var errMalformed = errors.New("malformed pickle")

func load(u *pickle.Unpickler) (obj any, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("%w: %v", errMalformed, p)
		}
	}()
	obj, err = u.Load()
	if err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		return nil, fmt.Errorf("pickle: %s", msg)
	}
	return obj, nil
}

// persistentLoad resolves ('storage', class, key, location, numel) to its zip record, checking
// that the record holds exactly numel elements.
func (a *archive) persistentLoad(id any, seen map[string]*storageRef) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() != 5 {
		return nil, errors.New("persistent id is not a 5-tuple")
	}
	tag, _ := t.Get(0).(string)
	cls, okCls := t.Get(1).(*storageClass)
	key, okKey := t.Get(2).(string)
	_, okLoc := t.Get(3).(string)
	numel, okN := t.Get(4).(int)
	if tag != "storage" || !okCls || !okKey || !okLoc || !okN {
		return nil, errors.New("persistent id is not ('storage', <float storage class>, key, location, size)")
	}
	if key == "" || len(key) > 20 || strings.Trim(key, "0123456789") != "" {
		return nil, fmt.Errorf("storage key %q is not a number", clip(key))
	}
	if numel < 0 || numel > maxStorageElems {
		return nil, fmt.Errorf("storage %s holds %d elements, at most %d", key, numel, maxStorageElems)
	}
	if s, ok := seen[key]; ok {
		if s.kind != cls.kind || s.numel != numel {
			return nil, fmt.Errorf("storage %s is described twice differently", key)
		}
		return s, nil
	}
	f, ok := a.records[a.prefix+"data/"+key]
	if !ok {
		return nil, fmt.Errorf("storage %s has no record %sdata/%s", key, a.prefix, key)
	}
	if f.UncompressedSize64 != uint64(numel*cls.kind.elemSize) {
		return nil, fmt.Errorf("storage %s: record is %d bytes, %d %s elements need %d",
			key, f.UncompressedSize64, numel, cls.kind.name, numel*cls.kind.elemSize)
	}
	s := &storageRef{kind: cls.kind, numel: numel, record: f}
	seen[key] = s
	return s, nil
}

// materialise checks the tensor's shape and strides against its storage and reads its values
// in row-major order.
func (a *archive) materialise(t *ptTensor) (values []float32, tokens, width int, err error) {
	switch len(t.size) {
	case 1:
		tokens, width = 1, t.size[0]
	case 2:
		tokens, width = t.size[0], t.size[1]
	default:
		return nil, 0, 0, fmt.Errorf("tensor has shape %v; a residual is [width] or [tokens, width]", t.size)
	}
	if err := checkShape(tokens, width); err != nil {
		return nil, 0, 0, fmt.Errorf("tensor shape %v: %w", t.size, err)
	}
	// The last element read is offset + sum((size-1)*stride); each term is bounded first so
	// nothing overflows.
	last := t.offset
	for i, n := range t.size {
		if t.stride[i] > t.storage.numel {
			return nil, 0, 0, fmt.Errorf("tensor stride %d exceeds its storage of %d elements", t.stride[i], t.storage.numel)
		}
		last += (n - 1) * t.stride[i]
	}
	if t.offset > t.storage.numel || last >= t.storage.numel {
		return nil, 0, 0, fmt.Errorf("tensor (offset %d, shape %v, strides %v) reaches past its storage of %d elements",
			t.offset, t.size, t.stride, t.storage.numel)
	}
	raw, err := a.read(t.storage.record, int64(maxStorageElems*4))
	if err != nil {
		return nil, 0, 0, err
	}
	sRow, sCol := 0, t.stride[len(t.stride)-1]
	if len(t.stride) == 2 {
		sRow = t.stride[0]
	}
	es := t.storage.kind.elemSize
	values = make([]float32, 0, tokens*width)
	for i := range tokens {
		for j := range width {
			at := (t.offset + i*sRow + j*sCol) * es
			values = append(values, t.storage.kind.decode(raw[at:at+es]))
		}
	}
	return values, tokens, width, nil
}

// pyType names a decoded pickle value for messages.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case int, *big.Int:
		return "int"
	case string:
		return "str"
	case *types.Tuple:
		return "tuple"
	case *types.List:
		return "list"
	case *types.Dict:
		return "dict"
	case *types.OrderedDict:
		return "OrderedDict"
	case *storageRef, *storageClass:
		return "storage"
	}
	return fmt.Sprintf("%T", v)
}
