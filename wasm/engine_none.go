//go:build js && wasm

package main

import "context"

// openEngine returns the GPU engine. The WebGPU engine (webgpu/) has not landed in this build, so
// there is none: the page keeps every other feature and says why Generate is unavailable.
func openEngine(context.Context) (Engine, error) { return nil, ErrNoEngine }
