//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"image"
	"strings"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/preview"
	"github.com/cones2web/cones2/webgpu/engine"
)

// gpuEngine adapts the WebGPU engine (webgpu/engine) to the page's Engine: the page speaks in
// settings, token positions and residual rows; the engine in schedulers, noise sources and
// rasterised layout weights.
type gpuEngine struct {
	e *engine.Engine
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
	info := ModelInfo{GPUBytes: int64(e.WeightBytes())}
	info.GPUSummary = fmt.Sprintf("%s of weights on the GPU (%s)", library.HumanBytes(info.GPUBytes), strings.TrimSpace(e.Dev.Adapter))
	return info, nil
}

// Samplers lists every sampler of cones/schedule; "lms" is the official Cones 2 one.
func (g *gpuEngine) Samplers() []string { return schedule.Names() }

func (g *gpuEngine) Generate(ctx context.Context, req *Request, step func(Step)) (*image.RGBA, error) {
	if g.e == nil {
		return nil, fmt.Errorf("the model is not loaded")
	}
	s := req.Settings
	var opts []schedule.Option
	if s.Sampler == "lms" {
		opts = append(opts, schedule.LMSOrder(1)) // Cones 2 steps LMS with order 1
	}
	sched, err := schedule.New(s.Sampler, g.e.Folder.Scheduler, opts...)
	if err != nil {
		return nil, fmt.Errorf("sampler: %w", err)
	}
	r := engine.Request{
		Width: s.Width, Height: s.Height, Prompt: req.IDs, Negative: req.Negative,
		Steps: s.Steps, GuidanceSteps: s.GuidedSteps, GuidanceWeight: s.GuidanceWeight, CFGScale: s.CFG,
		Scheduler: sched, Noise: noise.New(s.Seed),
	}
	for _, res := range req.Residuals {
		for _, occ := range res.Occurrences {
			for i, pos := range occ {
				r.Residuals = append(r.Residuals, engine.Residual{Token: pos, Vector: res.Vector[i*res.Width : (i+1)*res.Width]})
			}
		}
	}
	if req.Layout != nil && len(req.Layout.Subjects) > 0 {
		// An imported colour layout keeps its own resolution; the output size may differ.
		l, err := req.Layout.ResizeMasks(s.Width, s.Height)
		if err == nil {
			r.Layout, err = l.Build(s.Height, s.Width, req.Positions)
		}
		if err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
	}
	f := g.e.Model.VAE.DownsampleFactor()
	channels, lh, lw := g.e.Model.UNet.Config.InChannels, s.Height/f, s.Width/f
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
	if g.e != nil {
		g.e.Close()
		g.e = nil
	}
}
