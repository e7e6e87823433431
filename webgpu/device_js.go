//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"
	"time"
)

// Device is a GPUDevice and its queue. Methods may be called from one goroutine at a time.
type Device struct {
	v        js.Value
	queue    js.Value
	Limits   Limits
	Features map[string]bool
	Adapter  string
	CPU      bool // the adapter runs shaders on the CPU (IsCPUAdapter)

	lost     chan struct{}
	mu       sync.Mutex
	lostErr  error
	firstErr error // first uncaptured GPU error
	onError  js.Func
}

func newDevice(v js.Value) *Device {
	d := &Device{v: v, queue: v.Get("queue"), Limits: readLimits(v.Get("limits")),
		Features: readFeatures(v.Get("features")), lost: make(chan struct{})}
	go d.watchLost()
	d.onError = js.FuncOf(func(_ js.Value, args []js.Value) any {
		e := args[0].Get("error")
		ge := &GPUError{Kind: errorKind(e), Message: str(e.Get("message"))}
		d.mu.Lock()
		if d.firstErr == nil {
			d.firstErr = ge
		}
		d.mu.Unlock()
		js.Global().Get("console").Call("error", ge.Error())
		return nil
	})
	v.Call("addEventListener", "uncapturederror", d.onError)
	return d
}

func errorKind(e js.Value) string {
	switch e.Get("constructor").Get("name").String() {
	case "GPUValidationError":
		return "validation"
	case "GPUOutOfMemoryError":
		return "out-of-memory"
	case "GPUInternalError":
		return "internal"
	}
	return "gpu"
}

// watchLost waits on device.lost for the device's whole life (the promise settles once).
func (d *Device) watchLost() {
	info, err := Await(context.Background(), d.v.Get("lost"))
	d.mu.Lock()
	if err != nil {
		d.lostErr = &DeviceLostError{Reason: "unknown", Message: err.Error()}
	} else {
		d.lostErr = &DeviceLostError{Reason: str(info.Get("reason")), Message: str(info.Get("message"))}
	}
	d.mu.Unlock()
	close(d.lost)
}

// Lost is closed when the device is lost; Err then returns the *DeviceLostError.
func (d *Device) Lost() <-chan struct{} { return d.lost }

// Err returns the device-lost error, else the first uncaptured GPU error, else nil.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lostErr != nil {
		return d.lostErr
	}
	return d.firstErr
}

// HasF16 reports whether shader-f16 is enabled on the device.
func (d *Device) HasF16() bool { return d.Features["shader-f16"] }

// Destroy releases the device and everything on it.
func (d *Device) Destroy() {
	d.v.Call("destroy")
	d.v.Call("removeEventListener", "uncapturederror", d.onError)
}

// PushErrorScope starts capturing errors of kind ("validation", "out-of-memory", "internal").
func (d *Device) PushErrorScope(kind string) { d.v.Call("pushErrorScope", kind) }

// PopErrorScope ends the innermost scope and returns its error, if any.
func (d *Device) PopErrorScope(ctx context.Context) error {
	v, err := Await(ctx, d.v.Call("popErrorScope"))
	if err != nil {
		return fmt.Errorf("webgpu: pop error scope: %w", err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil
	}
	return &GPUError{Kind: errorKind(v), Message: str(v.Get("message"))}
}

// Done waits until the GPU has finished all submitted work, or the device is lost.
func (d *Device) Done(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := Await(ctx, d.queue.Call("onSubmittedWorkDone")); err != nil {
		if e := d.Err(); e != nil {
			return e
		}
		return fmt.Errorf("webgpu: wait for GPU: %w", d.failed(err))
	}
	return d.Err()
}

// lostGrace is how long a failed operation waits for device.lost before it is reported as
// itself: a crashed GPU process rejects the pending promises (getCompilationInfo, mapAsync)
// at about the time device.lost settles, in either order.
const lostGrace = time.Second

// failed returns err, or the device-lost error when the device was lost under the operation,
// so that callers can tell "the GPU went away" (load the model again) from a real fault.
func (d *Device) failed(err error) error {
	t := time.NewTimer(lostGrace)
	defer t.Stop()
	select {
	case <-d.lost:
		return fmt.Errorf("%w (%v)", d.Err(), err)
	case <-t.C:
	}
	if instanceDropped(err) {
		// Chromium may drop the whole WebGPU instance with the GPU process and never settle
		// device.lost; the rejection then says so.
		return &DeviceLostError{Reason: "unknown", Message: err.Error()}
	}
	return err
}
