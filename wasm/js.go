//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/library"
)

// await waits for a JavaScript promise, the way net/http's roundtrip_js.go does: then/catch
// callbacks released after use, a buffered channel, and ctx honoured. It must not be called
// from inside a JS event handler (the handler would block the event loop the promise needs);
// handlers start goroutines for that.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		var reason js.Value
		if len(args) > 0 {
			reason = args[0]
		}
		ch <- result{err: jsError(reason)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// jsError turns a JS exception or rejection reason into a Go error with its message.
func jsError(v js.Value) error {
	switch {
	case v.IsUndefined() || v.IsNull():
		return errors.New("unknown JavaScript error")
	case v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString:
		name := v.Get("name").String()
		msg := v.Get("message").String()
		if name != "" && name != "Error" {
			return fmt.Errorf("%s: %s", name, msg)
		}
		return errors.New(msg)
	}
	return errors.New(v.Call("toString").String())
}

// call invokes a JS method, turning a thrown exception into an error.
func call(v js.Value, method string, args ...any) (out js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = jsError(je.Value)
				return
			}
			err = fmt.Errorf("%s: %v", method, r)
		}
	}()
	return v.Call(method, args...), nil
}

// bytesOf copies an ArrayBuffer or typed array into Go memory.
func bytesOf(v js.Value) []byte {
	u8 := js.Global().Get("Uint8Array").New(v)
	if !v.InstanceOf(js.Global().Get("ArrayBuffer")) {
		u8 = js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), v.Get("byteLength"))
	}
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b
}

// uint8Array copies Go bytes into a new JS Uint8Array.
func uint8Array(b []byte) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8
}

// blob wraps bytes in a Blob of the given type.
func blob(b []byte, mime string) js.Value {
	opts := js.Global().Get("Object").New()
	opts.Set("type", mime)
	return js.Global().Get("Blob").New([]any{uint8Array(b)}, opts)
}

// readFile reads a File (from a file input or a drop), refusing files over max bytes before
// reading them, so an oversized upload never fills memory.
func readFile(ctx context.Context, f js.Value, max int64) ([]byte, error) {
	name := f.Get("name").String()
	if size := int64(f.Get("size").Float()); size > max {
		return nil, fmt.Errorf("%s, more than the %s this accepts", library.HumanBytes(size), library.HumanBytes(max))
	}
	buf, err := await(ctx, f.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return bytesOf(buf), nil
}

// download offers bytes to the person as a file.
func download(name, mime string, b []byte) {
	url := js.Global().Get("URL").Call("createObjectURL", blob(b, mime))
	a := document.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Set("hidden", true)
	document.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// Revoke later: the download starts asynchronously.
	var revoke js.Func
	revoke = js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		revoke.Release()
		return nil
	})
	js.Global().Call("setTimeout", revoke, 60_000)
}
