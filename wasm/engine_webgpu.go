//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"image"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/preview"
	"github.com/cones2web/cones2/webgpu/engine"
)

// gpuEngine adapts the WebGPU engine (webgpu/engine) to the page's Engine: the request is
// already what the engine consumes (cones/request); the adapter adds the seeded noise and the
// latent preview.
type gpuEngine struct {
	e *engine.Engine
	// stopWarm cancels the loaded model's pipeline warm-up (Close, or another model loaded).
	stopWarm context.CancelFunc
}

// openEngine returns the WebGPU engine, not yet loaded.
func openEngine(context.Context) (Engine, error) { return &gpuEngine{}, nil }

func (g *gpuEngine) Load(ctx context.Context, base string, files []string, progress func(string, int64)) (ModelInfo, error) {
	e, err := engine.Load(ctx, engine.LoadOptions{URL: base, Files: files, OnProgress: func(p engine.LoadProgress) {
		progress(p.Component, p.Done)
	}})
	if err != nil {
		return ModelInfo{}, err
	}
	g.e = e
	info := ModelInfo{GPUBytes: int64(e.WeightBytes()), Warmed: g.warm(e)}
	info.GPUSummary = fmt.Sprintf("%s of weights on the GPU (%s)", library.HumanBytes(info.GPUBytes), strings.TrimSpace(e.Dev.Adapter))
	return info, nil
}

// warm compiles, in the background, the pipelines of a picture at the model's native size while
// the person writes a prompt: on an adapter that runs shaders on the CPU that takes seconds, which
// the first picture would otherwise wait for. A generation that starts meanwhile waits only for
// the kernels still compiling. The channel receives the result.
func (g *gpuEngine) warm(e *engine.Engine) <-chan error {
	if g.stopWarm != nil {
		g.stopWarm()
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stopWarm = cancel
	size := request.Model{Networks: e.Model}.NativeSize()
	done := make(chan error, 1)
	go func() {
		err := e.Warm(ctx, size, size)
		if err != nil && ctx.Err() == nil {
			js.Global().Get("console").Call("warn", "compiling ahead of the first picture: "+err.Error())
		}
		done <- err
	}()
	return done
}

// Samplers lists every sampler of cones/schedule; "lms" is the official Cones 2 one.
func (g *gpuEngine) Samplers() []string { return schedule.Names() }

func (g *gpuEngine) Generate(ctx context.Context, req *Request, step func(Step)) (*image.RGBA, error) {
	if g.e == nil {
		return nil, fmt.Errorf("the model is not loaded")
	}
	c := req.Conditioning
	s := c.Settings
	r := engine.Request{
		Width: s.Width, Height: s.Height, Prompt: c.Prompt, Negative: c.Negative, Grids: c.Grids,
		Steps: s.Steps, GuidanceSteps: s.GuidanceSteps, GuidanceWeight: s.GuidanceWeight, CFGScale: s.CFGScale,
		Scheduler: c.Scheduler, Noise: noise.New(s.Seed),
	}
	for _, row := range c.Residuals {
		r.Residuals = append(r.Residuals, engine.Residual{Token: row.Token, Vector: row.Vector})
	}
	channels, lh, lw := c.LatentShape[1], c.LatentShape[2], c.LatentShape[3]
	r.OnStep = func(i, total int, latents []float32) {
		st := Step{Index: i, Total: total}
		if len(latents) == channels*lh*lw {
			st.Preview, _ = preview.Latents(latents, channels, lh, lw)
		}
		step(st)
	}
	out, err := g.e.Generate(ctx, r)
	if err != nil {
		return nil, err
	}
	return &image.RGBA{Pix: out.RGBA, Stride: 4 * out.Width, Rect: image.Rect(0, 0, out.Width, out.Height)}, nil
}

func (g *gpuEngine) Close() {
	if g.stopWarm != nil {
		g.stopWarm()
		g.stopWarm = nil
	}
	if g.e != nil {
		g.e.Close()
		g.e = nil
	}
}
