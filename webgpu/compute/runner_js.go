//go:build js && wasm

package compute

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/wgsl"
)

// Runner owns the pipeline cache of one device.
type Runner struct {
	Dev   *webgpu.Device
	pipes map[wgsl.Kernel]*webgpu.ComputePipeline
	// busy holds the kernels being compiled, closed when done: a generation that needs one the
	// engine's warm-up is compiling waits for it instead of compiling it again.
	busy map[wgsl.Kernel]chan struct{}
	// BindGroups counts the bind groups made so far (one per prepared call).
	BindGroups int
	// CPU compiles every kernel as its wgsl.ForCPU variant; New sets it for CPU adapters
	// (SwiftShader, llvmpipe). Tests clear it to run the variants they name.
	CPU bool
	// Half compiles kernels with f16 weights as their wgsl.WithHalf variant (WGSL's f16); New
	// sets it where the device has shader-f16 and is not a CPU adapter: llvmpipe generated no
	// faster with it than with the unpacking kernels (docs/benchmarks.md), which stay the ones
	// CPU adapters are measured and tested with in the browser.
	Half bool
}

// New returns a Runner for dev.
func New(dev *webgpu.Device) *Runner {
	return &Runner{Dev: dev, pipes: map[wgsl.Kernel]*webgpu.ComputePipeline{}, busy: map[wgsl.Kernel]chan struct{}{},
		CPU: dev.CPU, Half: dev.HasF16() && !dev.CPU}
}

// Variant is the kernel r runs for k called with params p: its CPU or GPU variant (which may
// depend on p), reading f16 as WGSL f16 when r.Half.
func (r *Runner) Variant(k wgsl.Kernel, p any) wgsl.Kernel {
	if r.CPU {
		k = wgsl.ForCPU(k, p)
	} else {
		k = wgsl.ForGPU(k, p)
	}
	if r.Half {
		k = wgsl.WithHalf(k)
	}
	return k
}

// Pipeline returns the compiled pipeline of kernel k exactly as given (see Variant), compiling
// it on first use; if another goroutine is compiling it, Pipeline waits for that instead.
// (Goroutines of a wasm program take turns only where they block, so the maps need no lock.)
func (r *Runner) Pipeline(ctx context.Context, k wgsl.Kernel) (*webgpu.ComputePipeline, error) {
	for {
		if p, ok := r.pipes[k]; ok {
			return p, nil
		}
		wait, ok := r.busy[k]
		if !ok {
			break
		}
		select {
		case <-wait: // compiled, or failed: then compile it here and report its own error
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	done := make(chan struct{})
	r.busy[k] = done
	defer func() {
		delete(r.busy, k)
		close(done)
	}()
	src, err := k.Source()
	if err != nil {
		return nil, err
	}
	p, err := r.Dev.CreateComputePipeline(ctx, fmt.Sprintf("%s%+v", k.Family(), k), src)
	if err != nil {
		return nil, err
	}
	r.pipes[k] = p
	return p, nil
}

// Pipelines is the number of pipelines compiled so far.
func (r *Runner) Pipelines() int { return len(r.pipes) }

// Call is one prepared dispatch: its params live in their own small uniform buffer and its bind
// group is made once, so recording it again (every denoising step) costs three JS calls.
type Call struct {
	Kernel wgsl.Kernel
	Name   string
	pipe   *webgpu.ComputePipeline
	group  *webgpu.BindGroup
	params *webgpu.Buffer
	grid   [3]uint32
	FLOPs  float64
}

// Prepare builds the call of k (as its Variant for p) with params p over bufs (one per
// k.Bindings(), in order).
func (r *Runner) Prepare(ctx context.Context, name string, k wgsl.Kernel, p any, bufs []*webgpu.Buffer) (*Call, error) {
	k = r.Variant(k, p)
	if want := len(k.Bindings()); len(bufs) != want {
		return nil, fmt.Errorf("compute: %s: %d buffers for %s, want %d", name, len(bufs), k.Family(), want)
	}
	grid, err := k.Grid(p)
	if err != nil {
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	pipe, err := r.Pipeline(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	data, err := wgsl.Encode(p)
	if err != nil {
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	ub, err := r.Dev.CreateBuffer("params "+name, uint64(len(data)), webgpu.UsageUniform|webgpu.UsageCopyDst)
	if err != nil {
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	if err := r.Dev.Write(ub, 0, data); err != nil {
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	bs := make([]webgpu.Binding, 0, len(bufs)+1)
	bs = append(bs, webgpu.Binding{Buffer: ub})
	for _, b := range bufs {
		bs = append(bs, webgpu.Binding{Buffer: b})
	}
	g, err := r.Dev.CreateBindGroup(pipe, bs)
	if err != nil {
		ub.Destroy()
		return nil, fmt.Errorf("compute: %s: %w", name, err)
	}
	r.BindGroups++
	return &Call{Kernel: k, Name: name, pipe: pipe, group: g, params: ub, grid: grid, FLOPs: k.FLOPs(p)}, nil
}

// Record appends the call's dispatch to e.
func (c *Call) Record(e *webgpu.Encoder) {
	e.Dispatch(c.pipe, c.group, c.grid[0], c.grid[1], c.grid[2])
}

// RecordTimed appends the dispatch in a pass of its own, timed into timestamps 2i and 2i+1 of q.
func (c *Call) RecordTimed(e *webgpu.Encoder, q *webgpu.QuerySet, i int) {
	e.DispatchTimed(c.pipe, c.group, c.grid[0], c.grid[1], c.grid[2], q, i)
}

// Release frees the call's params buffer.
func (c *Call) Release() { c.params.Destroy() }
