//go:build js && wasm

package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/webgpu/compute"
	"github.com/cones2web/cones2/weights"
)

// LoadOptions configure Load.
type LoadOptions struct {
	// URL is the model folder on the server (diffusers layout; manifest.json optional).
	URL string
	// Files, when not nil, are the folder's files (as its manifest lists them): the loader
	// asks the server for no other, so the files it would otherwise probe for (a sharded
	// component's .index.json, an optional cones.json) cost no request and log no 404.
	Files []string
	// Weights picks how matrix weights are stored (WeightsAuto: f16, or f32 for a small model
	// on a CPU adapter).
	Weights Weights
	// HalfOnCPU reads f16 weights as WGSL's f16 on a CPU adapter with shader-f16 too (by default
	// only GPUs do): llvmpipe is the one adapter at hand with the feature, so its tests use it.
	HalfOnCPU bool
	// GPUKernels compiles the kernels a GPU runs (tiled, and WGSL's f16 where the device has
	// shader-f16) even on a CPU adapter: how the tests check a GPU's kernels on llvmpipe.
	GPUKernels bool
	// Device reuses an existing device; nil requests one from the browser's adapter.
	Device *webgpu.Device
	// OnProgress is called as weight bytes arrive.
	OnProgress func(LoadProgress)
}

// Engine is a loaded model on one GPU device.
type Engine struct {
	Dev    *webgpu.Device
	Folder *weights.Folder
	Model  *weights.Model
	F16    bool
	run    *compute.Runner
	w      map[string]*Weight
	progs  map[string]*Program // cached programs by shape key
	counts Counts
}

// Counts reports the engine's dispatch, run and bind-group counters.
func (e *Engine) Counts() Counts {
	c := e.counts
	c.BindGroups, c.Pipelines = e.run.BindGroups, e.run.Pipelines()
	return c
}

// Kernels reports which kernel variants the engine compiles: the CPU adapters' (wgsl.ForCPU) and
// the ones reading f16 weights as WGSL f16 (wgsl.WithHalf, where the device has shader-f16).
func (e *Engine) Kernels() (cpu, half bool) { return e.run.CPU, e.run.Half }

// Load requests the GPU, reads the folder's configs and safetensors headers (Range requests),
// binds them strictly against the model description, and streams the weights of the text
// encoder, the UNet and the VAE decoder into GPU buffers.
func Load(ctx context.Context, o LoadOptions) (*Engine, error) {
	dev := o.Device
	if dev == nil {
		ad, err := webgpu.RequestAdapter(ctx)
		if err != nil {
			return nil, err
		}
		dev, err = ad.RequestDevice(ctx, webgpu.DeviceOptions{Need: webgpu.Kernels(), What: "the Stable Diffusion kernels"})
		if err != nil {
			return nil, err
		}
	}
	base := folderURL(o.URL)
	f, err := weights.OpenFS(newHTTPFS(ctx, base, o.Files))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	m, err := f.Describe()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	e, err := newEngine(dev, f, m, o)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	vaeKeep := func(n string) bool {
		return strings.HasPrefix(n, "decoder.") || strings.HasPrefix(n, "post_quant_conv.")
	}
	for _, c := range []struct {
		name string
		m    weights.Module
		keep func(string) bool
	}{
		{weights.TextEncoderDir, m.TextEncoder, func(string) bool { return true }},
		{weights.UNetDir, m.UNet, func(string) bool { return true }},
		{weights.VAEDir, m.VAE, vaeKeep},
	} {
		var done int64
		report := func(n, total int64) {
			done += n
			if o.OnProgress != nil {
				o.OnProgress(LoadProgress{Component: c.name, Done: done, Total: total})
			}
		}
		ws, _, err := loadComponent(ctx, dev, f, base, c.name, c.m, c.keep, e.F16, report)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("load %s: %w", base, err)
		}
		for k, v := range ws {
			e.w[k] = v
		}
	}
	if err := dev.Done(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	return e, nil
}

// newEngine is an engine without weights yet: it picks how the weights are stored on dev and
// checks that every weight fits one binding (one larger than the device can bind can never run:
// say so before downloading).
func newEngine(dev *webgpu.Device, f *weights.Folder, m *weights.Model, o LoadOptions) (*Engine, error) {
	f16, err := F16Weights(o.Weights, dev.CPU, m)
	if err != nil {
		return nil, err
	}
	for _, p := range loadedParams(m) {
		if n := uint64(gpugraph.WeightDType(p.Shape, f16).Size(p.NumElements())); n > dev.Limits.Binding() {
			return nil, &webgpu.LimitError{Limit: "maxStorageBufferBindingSize", What: "weight " + p.Name, Want: n, Have: dev.Limits.Binding()}
		}
	}
	run := compute.New(dev)
	if o.GPUKernels {
		run.CPU, run.Half = false, dev.HasF16()
	}
	if o.HalfOnCPU && dev.HasF16() {
		run.Half = true
	}
	return &Engine{Dev: dev, Folder: f, Model: m, F16: f16, run: run, w: map[string]*Weight{},
		progs: map[string]*Program{}}, nil
}

// Close frees every GPU buffer of the engine (the device stays).
func (e *Engine) Close() {
	for _, p := range e.progs {
		p.Release()
	}
	release(e.w)
	e.progs, e.w = nil, nil
}

// WeightBytes is the GPU memory held by the weights.
func (e *Engine) WeightBytes() uint64 {
	var n uint64
	for _, w := range e.w {
		n += w.Buf.Size()
	}
	return n
}

// Plan reports the GPU memory a generation at width x height needs on this device.
func (e *Engine) Plan(width, height int) (gpugraph.Memory, error) {
	m, err := gpugraph.PlanPipeline(e.Model, gpugraph.PipelineOptions{Width: width, Height: height, F16: e.F16, Limit: e.Dev.Limits.Binding()})
	return m, e.limitError(err)
}

// limitError turns a graph's TooLargeError into the *webgpu.LimitError the page branches on.
func (e *Engine) limitError(err error) error {
	var tl *gpugraph.TooLargeError
	if errors.As(err, &tl) {
		return &webgpu.LimitError{Limit: "maxStorageBufferBindingSize", What: tl.Tensor, Want: tl.Bytes, Have: e.Dev.Limits.Binding()}
	}
	return err
}

// program returns the cached program under key, building it with build on first use.
func (e *Engine) program(ctx context.Context, key string, build func() (*gpugraph.Graph, error), bind map[string]*webgpu.Buffer) (*Program, error) {
	if p, ok := e.progs[key]; ok {
		return p, nil
	}
	g, err := build()
	if err != nil {
		return nil, e.limitError(err)
	}
	p, err := NewProgram(ctx, e.run, g, e.w, bind)
	if err != nil {
		return nil, err
	}
	p.counts = &e.counts
	if strings.HasPrefix(key, "vae/") || strings.HasPrefix(key, "pixels/") || strings.HasPrefix(key, "blend/") {
		e.counts.DecoderBindGroups += len(p.calls)
	}
	e.progs[key] = p
	return p, nil
}

// drop releases a cached program.
func (e *Engine) drop(key string) {
	if p, ok := e.progs[key]; ok {
		p.Release()
		delete(e.progs, key)
	}
}

func (e *Engine) limit() uint64 { return e.Dev.Limits.Binding() }
