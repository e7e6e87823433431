//go:build js && wasm

package compute

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/wgsl"
)

// StorageUsage is the usage of every tensor buffer: bound as storage, written by the queue, read back.
const StorageUsage = webgpu.UsageStorage | webgpu.UsageCopyDst | webgpu.UsageCopySrc

// Bytes encodes a CPU buffer in the GPU's layout (f16 halves packed little-endian, padded to 4).
func Bytes(m wgsl.Mem) []byte {
	switch {
	case m.H != nil:
		out := make([]byte, (2*len(m.H)+3)&^3)
		for i, h := range m.H {
			binary.LittleEndian.PutUint16(out[2*i:], h)
		}
		return out
	case m.U != nil:
		out := make([]byte, 4*len(m.U))
		for i, u := range m.U {
			binary.LittleEndian.PutUint32(out[4*i:], u)
		}
		return out
	}
	out := make([]byte, 4*len(m.F))
	for i, f := range m.F {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// Upload creates a storage buffer holding m.
func Upload(dev *webgpu.Device, label string, m wgsl.Mem) (*webgpu.Buffer, error) {
	data := Bytes(m)
	b, err := dev.CreateBuffer(label, uint64(len(data)), StorageUsage)
	if err != nil {
		return nil, err
	}
	if err := dev.Write(b, 0, data); err != nil {
		b.Destroy()
		return nil, err
	}
	return b, nil
}

// ReadF32 reads n float32 values at element offset off of b.
func ReadF32(ctx context.Context, dev *webgpu.Device, b *webgpu.Buffer, off, n int) ([]float32, error) {
	raw, err := dev.Read(ctx, b, uint64(4*off), uint64(4*n))
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

// ReadU32 reads n uint32 values at element offset off of b.
func ReadU32(ctx context.Context, dev *webgpu.Device, b *webgpu.Buffer, off, n int) ([]uint32, error) {
	raw, err := dev.Read(ctx, b, uint64(4*off), uint64(4*n))
	if err != nil {
		return nil, err
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return out, nil
}

// Run uploads args, runs k once with params p, and returns the GPU contents of every binding
// (read back), for tests and one-off work.
func (r *Runner) Run(ctx context.Context, k wgsl.Kernel, p any, args []wgsl.Mem) ([]wgsl.Mem, error) {
	bufs := make([]*webgpu.Buffer, len(args))
	defer func() {
		for _, b := range bufs {
			if b != nil {
				b.Destroy()
			}
		}
	}()
	for i, a := range args {
		var err error
		if bufs[i], err = Upload(r.Dev, k.Bindings()[i].Name, a); err != nil {
			return nil, err
		}
	}
	call, err := r.Prepare(ctx, k.Family(), k, p, bufs)
	if err != nil {
		return nil, err
	}
	defer call.Release()
	enc := r.Dev.NewEncoder()
	call.Record(enc)
	if err := enc.Submit(); err != nil {
		return nil, err
	}
	out := make([]wgsl.Mem, len(args))
	for i, bd := range k.Bindings() {
		if !bd.Write {
			out[i] = args[i]
			continue
		}
		switch bd.Type {
		case wgsl.U32:
			u, err := ReadU32(ctx, r.Dev, bufs[i], 0, args[i].Len())
			if err != nil {
				return nil, err
			}
			out[i] = wgsl.Mem{U: u}
		case wgsl.F32:
			f, err := ReadF32(ctx, r.Dev, bufs[i], 0, args[i].Len())
			if err != nil {
				return nil, err
			}
			out[i] = wgsl.Mem{F: f}
		default:
			return nil, fmt.Errorf("compute: %s: cannot read back %s output", k.Family(), bd.Type)
		}
	}
	if err := r.Dev.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
