//go:build js && wasm

package webgpu

import "syscall/js"

// Encoder records compute passes and copies into one command buffer.
type Encoder struct {
	d    *Device
	enc  js.Value
	pass js.Value // open compute pass, or undefined
	n    int      // dispatches recorded
}

// NewEncoder starts recording.
func (d *Device) NewEncoder() *Encoder {
	return &Encoder{d: d, enc: d.v.Call("createCommandEncoder"), pass: js.Undefined()}
}

// Dispatch records a dispatch of p with g in a compute pass (opening one if needed). Dispatches
// in one pass run in order, each seeing the previous ones' writes.
func (e *Encoder) Dispatch(p *ComputePipeline, g *BindGroup, x, y, z uint32) {
	if e.pass.IsUndefined() {
		e.pass = e.enc.Call("beginComputePass")
	}
	e.pass.Call("setPipeline", p.v)
	e.pass.Call("setBindGroup", 0, g.v)
	e.pass.Call("dispatchWorkgroups", x, y, z)
	e.n++
}

// Copy records a buffer-to-buffer copy (closing the open compute pass).
func (e *Encoder) Copy(src *Buffer, srcOff uint64, dst *Buffer, dstOff, size uint64) {
	e.endPass()
	e.enc.Call("copyBufferToBuffer", src.v, float64(srcOff), dst.v, float64(dstOff), float64(size))
}

// Clear records zeroing the whole buffer (closing the open compute pass).
func (e *Encoder) Clear(b *Buffer) {
	e.endPass()
	e.enc.Call("clearBuffer", b.v)
}

// Dispatches is the number of dispatches recorded so far.
func (e *Encoder) Dispatches() int { return e.n }

func (e *Encoder) endPass() {
	if !e.pass.IsUndefined() {
		e.pass.Call("end")
		e.pass = js.Undefined()
	}
}

// Submit finishes the command buffer and submits it to the queue.
func (e *Encoder) Submit() error {
	e.endPass()
	return try(func() { e.d.queue.Call("submit", []any{e.enc.Call("finish")}) })
}
