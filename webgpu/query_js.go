//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"syscall/js"
)

// QuerySet is a GPUQuerySet of timestamps (needs the "timestamp-query" feature).
type QuerySet struct {
	v     js.Value
	count int
}

// HasTimestamps reports whether the device can time passes on the GPU.
func (d *Device) HasTimestamps() bool { return d.Features["timestamp-query"] }

// CreateTimestamps makes a query set of n timestamps.
func (d *Device) CreateTimestamps(n int) (*QuerySet, error) {
	var v js.Value
	if err := try(func() { v = d.v.Call("createQuerySet", map[string]any{"type": "timestamp", "count": n}) }); err != nil {
		return nil, fmt.Errorf("webgpu: timestamps: %w", err)
	}
	return &QuerySet{v: v, count: n}, nil
}

// Destroy frees the query set.
func (q *QuerySet) Destroy() { q.v.Call("destroy") }

// DispatchTimed records a dispatch in a pass of its own whose start and end are written to
// timestamps 2i and 2i+1 of q.
func (e *Encoder) DispatchTimed(p *ComputePipeline, g *BindGroup, x, y, z uint32, q *QuerySet, i int) {
	e.endPass()
	pass := e.enc.Call("beginComputePass", map[string]any{"timestampWrites": map[string]any{
		"querySet": q.v, "beginningOfPassWriteIndex": 2 * i, "endOfPassWriteIndex": 2*i + 1}})
	pass.Call("setPipeline", p.v)
	pass.Call("setBindGroup", 0, g.v)
	pass.Call("dispatchWorkgroups", x, y, z)
	pass.Call("end")
	e.n++
}

// ReadTimestamps resolves q and returns its timestamps in nanoseconds.
func (d *Device) ReadTimestamps(ctx context.Context, q *QuerySet) ([]float64, error) {
	size := uint64(8 * q.count)
	res, err := d.CreateBuffer("timestamps", size, UsageQueryResolve|UsageCopySrc)
	if err != nil {
		return nil, err
	}
	defer res.Destroy()
	enc := d.v.Call("createCommandEncoder")
	enc.Call("resolveQuerySet", q.v, 0, q.count, res.v, 0)
	d.queue.Call("submit", []any{enc.Call("finish")})
	raw, err := d.Read(ctx, res, 0, size)
	if err != nil {
		return nil, err
	}
	u8 := js.Global().Get("Uint8Array").New(len(raw))
	js.CopyBytesToJS(u8, raw)
	big := js.Global().Get("BigUint64Array").New(u8.Get("buffer"))
	out := make([]float64, q.count)
	for i := range out {
		out[i] = js.Global().Call("Number", big.Index(i)).Float()
	}
	return out, nil
}
