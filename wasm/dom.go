//go:build js && wasm

package main

import (
	"fmt"
	"runtime/debug"
	"syscall/js"
)

var document = js.Global().Get("document")

// elements looks up the page's elements by id once, so a missing one is found at start-up with
// its name rather than as a nil dereference later.
type elements struct {
	missing []string
}

func (e *elements) get(id string) js.Value {
	v := document.Call("getElementById", id)
	if v.IsNull() {
		e.missing = append(e.missing, id)
	}
	return v
}

func (e *elements) err() error {
	if len(e.missing) > 0 {
		return fmt.Errorf("the page lacks elements %v (is index.html from another build?)", e.missing)
	}
	return nil
}

// on registers a synchronous event handler (it may call preventDefault). It must not block:
// anything that awaits a promise belongs in a goroutine started from the handler.
// A panic in a handler (a bug, or a browser API throwing) is caught and shown, so one broken
// control never stops the whole page.
func on(target js.Value, event string, fn func(ev js.Value)) {
	target.Call("addEventListener", event, js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() {
			if r := recover(); r != nil {
				msg := fmt.Sprintf("Something went wrong handling %s (%v). Your work is kept; please report this.", event, r)
				js.Global().Get("console").Call("error", msg+"\n"+string(debug.Stack()))
				if alert := document.Call("getElementById", "alert"); !alert.IsNull() {
					alert.Set("textContent", msg)
					alert.Set("hidden", false)
				}
			}
		}()
		fn(args[0])
		return nil
	}))
}

// el creates an element with text content.
func el(tag, text string) js.Value {
	v := document.Call("createElement", tag)
	if text != "" {
		v.Set("textContent", text)
	}
	return v
}

// button creates a button with a visible label and, when different, an accessible name that
// says what it acts on ("Delete" → "Delete dog").
func button(label, name string, onClick func()) js.Value {
	b := el("button", label)
	b.Set("type", "button")
	if name != "" && name != label {
		b.Call("setAttribute", "aria-label", name)
	}
	on(b, "click", func(js.Value) { onClick() })
	return b
}

func setText(v js.Value, s string) { v.Set("textContent", s) }

func empty(v js.Value) { v.Set("textContent", "") }

// message shows a message in a message element; bad ones are styled as errors.
func message(v js.Value, text string, bad bool) {
	v.Set("textContent", text)
	v.Get("classList").Call("toggle", "bad", bad && text != "")
	v.Get("classList").Call("toggle", "good", !bad && text != "")
}

func setDisabled(v js.Value, off bool) { v.Set("disabled", off) }

func setHidden(v js.Value, hidden bool) { v.Set("hidden", hidden) }
