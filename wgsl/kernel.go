package wgsl

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/x448/float16"
)

// Kernel is one pipeline variant of a kernel family. Implementations are small comparable structs
// holding only structural choices, so a Kernel value is itself the pipeline-cache key.
type Kernel interface {
	// Family names the .wgsl file the kernel comes from.
	Family() string
	// Source is the expanded WGSL of this variant; entry point "main".
	Source() (string, error)
	// Bindings lists the storage buffers after the Params uniform (binding 0), in binding order.
	Bindings() []Binding
	// Grid is the number of workgroups to dispatch for p (which must be this family's Params).
	Grid(p any) ([3]uint32, error)
	// FLOPs counts the floating-point operations of one dispatch (2 per multiply-add).
	FLOPs(p any) float64
	// Ref computes on the CPU exactly what the kernel computes on the GPU (in float64 where that
	// makes the reference more accurate); args follow Bindings.
	Ref(p any, args []Mem) error
}

// DType is the element type of a buffer.
type DType uint8

const (
	F32 DType = iota // float32
	F16              // IEEE half, packed two per u32 word (low half first, as unpack2x16float reads)
	U32              // uint32 (token ids)
)

func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case F16:
		return "f16"
	case U32:
		return "u32"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size is the byte size of n elements.
func (d DType) Size(n int) int {
	if d == F16 {
		return 2 * n
	}
	return 4 * n
}

// Binding describes one storage buffer of a kernel.
type Binding struct {
	Name  string
	Type  DType
	Write bool // read_write (the output); others are read-only
}

// Mem is a CPU-side buffer for Ref: exactly one field is set, matching the binding's DType.
type Mem struct {
	F []float32
	H []uint16 // f16 bits
	U []uint32
}

// At reads element i as float32 (F32 or F16 storage).
func (m Mem) At(i int) float32 {
	if m.H != nil {
		return float16.Frombits(m.H[i]).Float32()
	}
	return m.F[i]
}

// Len is the number of elements.
func (m Mem) Len() int {
	switch {
	case m.H != nil:
		return len(m.H)
	case m.U != nil:
		return len(m.U)
	}
	return len(m.F)
}

// Encode returns the bytes of a Params struct as the WGSL uniform sees them: every field a 4-byte
// u32, i32 or f32 in declaration order, little-endian, padded to a multiple of 16 bytes.
func Encode(p any) ([]byte, error) {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("wgsl: params %T is not a struct", p)
	}
	n := (v.NumField()*4 + 15) &^ 15
	out := make([]byte, n)
	for i := range v.NumField() {
		f := v.Field(i)
		var w uint32
		switch f.Kind() {
		case reflect.Uint32:
			w = uint32(f.Uint())
		case reflect.Int32:
			w = uint32(int32(f.Int()))
		case reflect.Float32:
			w = math.Float32bits(float32(f.Float()))
		default:
			return nil, fmt.Errorf("wgsl: params %T field %s has kind %s, want uint32, int32 or float32",
				p, v.Type().Field(i).Name, f.Kind())
		}
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	return out, nil
}

// ceilDiv is ⌈a/b⌉ for the grid sizes.
func ceilDiv(a, b uint32) uint32 { return (a + b - 1) / b }

// MaxGroups is WebGPU's guaranteed maxComputeWorkgroupsPerDimension.
const MaxGroups = 65535

// grid1 spreads n workgroups over x and y (kernels rebuild the index as x + y*num_workgroups.x),
// because one dimension holds at most 65535.
func grid1(n uint32) [3]uint32 {
	if n <= MaxGroups {
		return [3]uint32{max(n, 1), 1, 1}
	}
	y := ceilDiv(n, MaxGroups)
	return [3]uint32{ceilDiv(n, y), y, 1}
}

func checkGrid(family string, g [3]uint32) ([3]uint32, error) {
	for _, d := range g {
		if d > MaxGroups {
			return g, fmt.Errorf("wgsl: %s: grid %v exceeds %d workgroups per dimension", family, g, MaxGroups)
		}
	}
	return g, nil
}

func paramsAs[P any](family string, p any) (P, error) {
	q, ok := p.(P)
	if !ok {
		var zero P
		return zero, fmt.Errorf("wgsl: %s: params are %T, want %T", family, p, zero)
	}
	return q, nil
}

func checkArgs(family string, b []Binding, args []Mem) error {
	if len(args) != len(b) {
		return fmt.Errorf("wgsl: %s: %d buffers, want %d", family, len(args), len(b))
	}
	return nil
}
