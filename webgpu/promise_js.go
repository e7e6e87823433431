//go:build js && wasm

package webgpu

import (
	"context"
	"syscall/js"
)

// Await blocks the calling goroutine until the promise settles or ctx ends, the way
// net/http/roundtrip_js.go waits for fetch: then/catch callbacks send on buffered channels and are
// released once the promise settles (also after ctx ended, from a goroutine, so a late settlement
// never calls a released function).
func Await(ctx context.Context, promise js.Value) (js.Value, error) {
	ok := make(chan js.Value, 1)
	fail := make(chan js.Value, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ok <- arg0(args)
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fail <- arg0(args)
		return nil
	})
	release := func() {
		then.Release()
		catch.Release()
	}
	promise.Call("then", then, catch)
	select {
	case v := <-ok:
		release()
		return v, nil
	case e := <-fail:
		release()
		return js.Undefined(), jsError(e)
	case <-ctx.Done():
		go func() {
			select {
			case <-ok:
			case <-fail:
			}
			release()
		}()
		return js.Undefined(), ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// jsError turns a thrown value or rejection reason into a Go error.
func jsError(v js.Value) error {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		e := &JSError{}
		if name.Type() == js.TypeString {
			e.Name = name.String()
		}
		if msg.Type() == js.TypeString {
			e.Message = msg.String()
		} else {
			e.Message = v.Call("toString").String()
		}
		return e
	}
	if v.IsUndefined() || v.IsNull() {
		return &JSError{Message: "promise rejected without a reason"}
	}
	return &JSError{Message: v.Call("toString").String()}
}

// try calls fn and converts a JS exception (a panic carrying js.Error) into an error.
func try(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = jsError(je.Value)
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}
