//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"syscall/js"
)

// BufferUsage are GPUBufferUsage flags.
type BufferUsage uint32

const (
	UsageMapRead      BufferUsage = 0x0001
	UsageMapWrite     BufferUsage = 0x0002
	UsageCopySrc      BufferUsage = 0x0004
	UsageCopyDst      BufferUsage = 0x0008
	UsageUniform      BufferUsage = 0x0040
	UsageStorage      BufferUsage = 0x0080
	UsageQueryResolve BufferUsage = 0x0200
)

// Buffer is a GPUBuffer.
type Buffer struct {
	v     js.Value
	size  uint64
	label string
}

// Size is the buffer's size in bytes.
func (b *Buffer) Size() uint64 { return b.size }

// Label is the name given at creation.
func (b *Buffer) Label() string { return b.label }

// Destroy frees the buffer's GPU memory now rather than at garbage collection.
func (b *Buffer) Destroy() { b.v.Call("destroy") }

// CreateBuffer makes a buffer of size bytes (rounded up to 4); sizes past the device's limits are
// a *LimitError before anything reaches the GPU.
func (d *Device) CreateBuffer(label string, size uint64, usage BufferUsage) (*Buffer, error) {
	size = (max(size, 4) + 3) &^ 3
	if size > d.Limits.MaxBufferSize {
		return nil, &LimitError{Limit: "maxBufferSize", What: "buffer " + label, Want: size, Have: d.Limits.MaxBufferSize}
	}
	if usage&UsageStorage != 0 && size > d.Limits.MaxStorageBufferBindingSize {
		return nil, &LimitError{Limit: "maxStorageBufferBindingSize", What: "buffer " + label, Want: size,
			Have: d.Limits.MaxStorageBufferBindingSize}
	}
	var v js.Value
	err := try(func() {
		v = d.v.Call("createBuffer", map[string]any{"label": label, "size": float64(size), "usage": int(usage)})
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: create buffer %s (%d bytes): %w", label, size, err)
	}
	return &Buffer{v: v, size: size, label: label}, nil
}

// Write copies data into b at offset through the queue; offset and len(data) must be multiples
// of 4 (WebGPU's rule for writeBuffer).
func (d *Device) Write(b *Buffer, offset uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if offset%4 != 0 || len(data)%4 != 0 {
		return fmt.Errorf("webgpu: write %s: offset %d and size %d must be multiples of 4", b.label, offset, len(data))
	}
	if offset+uint64(len(data)) > b.size {
		return fmt.Errorf("webgpu: write %s: %d bytes at %d past its size %d", b.label, len(data), offset, b.size)
	}
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	return d.WriteJS(b, offset, u8)
}

// WriteJS writes a JS Uint8Array (e.g. a chunk of a fetch body) into b without a copy through Go.
func (d *Device) WriteJS(b *Buffer, offset uint64, u8 js.Value) error {
	err := try(func() { d.queue.Call("writeBuffer", b.v, float64(offset), u8) })
	if err != nil {
		return fmt.Errorf("webgpu: write %s: %w", b.label, err)
	}
	return nil
}

// Read copies size bytes from b at offset back to Go: a copy into a mappable staging buffer, a
// submit, mapAsync awaited with ctx (and the device's loss), then the mapped range.
func (d *Device) Read(ctx context.Context, b *Buffer, offset, size uint64) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	if offset%4 != 0 || size%4 != 0 || offset+size > b.size {
		return nil, fmt.Errorf("webgpu: read %s: %d bytes at %d (size %d; multiples of 4 needed)", b.label, size, offset, b.size)
	}
	st, err := d.CreateBuffer("readback "+b.label, size, UsageMapRead|UsageCopyDst)
	if err != nil {
		return nil, err
	}
	defer st.Destroy()
	enc := d.v.Call("createCommandEncoder")
	enc.Call("copyBufferToBuffer", b.v, float64(offset), st.v, 0, float64(size))
	d.queue.Call("submit", []any{enc.Call("finish")})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := Await(ctx, st.v.Call("mapAsync", 1 /* GPUMapMode.READ */)); err != nil {
		if e := d.Err(); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("webgpu: read %s: %w", b.label, d.failed(err))
	}
	out := make([]byte, size)
	js.CopyBytesToGo(out, js.Global().Get("Uint8Array").New(st.v.Call("getMappedRange")))
	st.v.Call("unmap")
	return out, nil
}
