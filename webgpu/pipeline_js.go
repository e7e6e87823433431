//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"
)

// ComputePipeline is a GPUComputePipeline with layout "auto".
type ComputePipeline struct {
	v      js.Value
	layout js.Value // bind group layout 0
	label  string
}

// CreateComputePipeline compiles WGSL code (entry point "main") into a pipeline. Compilation
// errors come back with the shader's messages and line numbers.
func (d *Device) CreateComputePipeline(ctx context.Context, label, code string) (*ComputePipeline, error) {
	var mod js.Value
	if err := try(func() {
		mod = d.v.Call("createShaderModule", map[string]any{"label": label, "code": code})
	}); err != nil {
		return nil, fmt.Errorf("webgpu: shader %s: %w", label, err)
	}
	info, err := Await(ctx, mod.Call("getCompilationInfo"))
	if err != nil {
		return nil, fmt.Errorf("webgpu: shader %s: %w", label, d.failed(err))
	}
	var msgs []string
	hasErr := false
	msgList := info.Get("messages")
	for i := range msgList.Length() {
		m := msgList.Index(i)
		if m.Get("type").String() == "error" {
			hasErr = true
		}
		msgs = append(msgs, fmt.Sprintf("%s:%d:%d: %s: %s", label, m.Get("lineNum").Int(), m.Get("linePos").Int(),
			m.Get("type").String(), m.Get("message").String()))
	}
	if hasErr {
		return nil, fmt.Errorf("webgpu: compile %s:\n%s", label, strings.Join(msgs, "\n"))
	}
	desc := map[string]any{"label": label, "layout": "auto",
		"compute": map[string]any{"module": mod, "entryPoint": "main"}}
	v, err := Await(ctx, d.v.Call("createComputePipelineAsync", desc))
	if err != nil {
		return nil, fmt.Errorf("webgpu: pipeline %s: %w", label, d.failed(err))
	}
	return &ComputePipeline{v: v, layout: v.Call("getBindGroupLayout", 0), label: label}, nil
}

// BindGroup is a GPUBindGroup of whole buffers.
type BindGroup struct {
	v js.Value
}

// Binding is one buffer of a bind group: Size 0 binds from Offset to the end.
type Binding struct {
	Buffer       *Buffer
	Offset, Size uint64
}

// CreateBindGroup binds buffers to bindings 0..n-1 of the pipeline's group 0.
func (d *Device) CreateBindGroup(p *ComputePipeline, bindings []Binding) (*BindGroup, error) {
	entries := make([]any, len(bindings))
	for i, b := range bindings {
		res := map[string]any{"buffer": b.Buffer.v, "offset": float64(b.Offset)}
		if b.Size != 0 {
			res["size"] = float64(b.Size)
		}
		entries[i] = map[string]any{"binding": i, "resource": res}
	}
	var v js.Value
	err := try(func() {
		v = d.v.Call("createBindGroup", map[string]any{"label": p.label, "layout": p.layout, "entries": entries})
	})
	if err != nil {
		return nil, fmt.Errorf("webgpu: bind group for %s: %w", p.label, err)
	}
	return &BindGroup{v: v}, nil
}
