//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"syscall/js"
)

func main() {
	ctx := context.Background()
	a, err := newApp(ctx)
	if err != nil {
		fatal(err)
		select {}
	}
	go a.start()
	select {} // the page lives as long as the tab
}

// fatal shows an error that stops the page from working at all.
func fatal(err error) {
	status := document.Call("getElementById", "status")
	if !status.IsNull() {
		status.Set("textContent", "The page cannot start: "+err.Error())
	}
	js.Global().Get("console").Call("error", err.Error())
}

// guard keeps a bug in one handler from killing the whole program: the panic becomes a message
// on the page (with the stack in the console), and everything else keeps working.
func (a *app) guard(what string) {
	if r := recover(); r != nil {
		js.Global().Get("console").Call("error", fmt.Sprintf("%s: %v\n%s", what, r, debug.Stack()))
		a.alert(fmt.Sprintf("Something went wrong while %s (%v). Your work is kept; please report this.", what, r))
	}
}
