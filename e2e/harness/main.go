//go:build js && wasm

// Command harness is the test page's program: it exposes the WebGPU engine to the e2e tests as
// globalThis.conesHarness, whose methods take and return JSON-friendly values (float arrays as
// base64 little-endian float32) and return promises. One engine is loaded per page.
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"syscall/js"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/webgpu/engine"
)

var eng *engine.Engine

func main() {
	api := map[string]any{
		"load":        method(load),
		"textEncoder": method(textEncoder),
		"unet":        method(unet),
		"decode":      method(decode),
		"sample":      method(runSample),
		"bench":       method(bench),
		"loseDevice":  method(loseDevice),
		"counts":      method(counts),
		"benchGen":    method(benchGenerate),
		"warm":        method(warm),
	}
	js.Global().Set("conesHarness", js.ValueOf(api))
	select {}
}

// method wraps fn(request JSON) -> (response, error) as a JS function returning a promise; the
// work runs on its own goroutine (blocking on GPU promises is not allowed on the event loop), and
// a panic becomes a rejection with a readable message.
func method(fn func(ctx context.Context, req json.RawMessage) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var arg string
		if len(args) > 0 {
			arg = args[0].String()
		}
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, pr []js.Value) any {
			resolve, reject := pr[0], pr[1]
			go func() {
				defer func() {
					if r := recover(); r != nil {
						reject.Invoke(js.Global().Get("Error").New(fmt.Sprint("panic: ", r)))
					}
				}()
				out, err := fn(context.Background(), json.RawMessage(arg))
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				b, err := json.Marshal(out)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				resolve.Invoke(string(b))
			}()
			return nil
		}))
	})
}

// F32 is a float32 slice encoded as base64 little-endian bytes in JSON.
type F32 []float32

func (f F32) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

func (f *F32) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	if len(b)%4 != 0 {
		return fmt.Errorf("float32 data of %d bytes", len(b))
	}
	*f = make([]float32, len(b)/4)
	for i := range *f {
		(*f)[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}

func load(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		URL        string
		Weights    engine.Weights // "f16", "f32" or "" (the engine's choice)
		HalfOnCPU  bool           // WGSL f16 kernels on a CPU adapter with shader-f16 too
		GPUKernels bool           // a GPU's kernels on any adapter
		Synthetic  bool           // configs only, random weights (benchmarks of full-size models)
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	if eng != nil {
		eng.Close()
	}
	var last engine.LoadProgress
	var err error
	lo := engine.LoadOptions{URL: req.URL, Weights: req.Weights, HalfOnCPU: req.HalfOnCPU, GPUKernels: req.GPUKernels, OnProgress: func(p engine.LoadProgress) { last = p }}
	if req.Synthetic {
		eng, err = engine.LoadSynthetic(ctx, lo)
	} else {
		eng, err = engine.Load(ctx, lo)
	}
	if err != nil {
		return nil, err
	}
	cpu, half := eng.Kernels()
	return map[string]any{"adapter": eng.Dev.Adapter, "cpuAdapterKernels": cpu, "shaderF16Kernels": half, "shaderF16": eng.Dev.HasF16(), "weightBytes": eng.WeightBytes(), "lastProgress": last,
		"limits": eng.Dev.Limits.String(), "f16": eng.F16}, nil
}

func textEncoder(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct{ IDs [][]int }
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	out, err := eng.TextEncoder(ctx, req.IDs)
	return F32(out), err
}

func unet(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		Batch, H, W     int
		Sample, Context F32
		Timestep        float64
		Edit            bool
		EditBatch       int
		Coef            float32
		Layout          map[int]F32
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	maps := map[int][]float32{}
	for n, m := range req.Layout {
		maps[n] = m
	}
	out, err := eng.UNet(ctx, engine.UNetCall{Batch: req.Batch, H: req.H, W: req.W, Sample: req.Sample, Context: req.Context,
		Timestep: req.Timestep, Edit: req.Edit, EditBatch: req.EditBatch, Coef: req.Coef, Layout: maps})
	return F32(out), err
}

func decode(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		Latents F32
		H, W    int
		Tile    int
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	d, err := eng.Decode(ctx, req.Latents, req.H, req.W, engine.DecodeOptions{Tile: req.Tile, KeepImage: true})
	if err != nil {
		return nil, err
	}
	return map[string]any{"image": F32(d.Image), "rgba": d.RGBA, "width": d.Width, "height": d.Height}, nil
}

// runSample reproduces an official layout_guidance_sampling run: the layout from the official
// config and colour PNG (cones/layout), LMS order 1 from the folder's scheduler config, the
// recorded noise replayed, residuals at their tokens.
func runSample(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		Config, PNG      []byte
		Prompt, Negative []int
		Residuals        []struct {
			Token  int
			Vector F32
		}
		Noise                []F32
		Resolution           int
		Steps, GuidanceSteps int
		GuidanceWeight, CFG  float64
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	l, s, err := layout.ImportOfficial(req.Config, req.PNG)
	if err != nil {
		return nil, err
	}
	// The official configuration gives each subject's token by hand (subject_list); the maps
	// and the sampler are then built as for every request (cones/request).
	pos := make([][]int, len(l.Subjects))
	for i, sub := range l.Subjects {
		for _, st := range s.SubjectList {
			if st.Word == sub.Word {
				pos[i] = append(pos[i], st.Index)
			}
		}
	}
	grids, err := request.Grids(l, pos, req.Resolution, req.Resolution, request.Model{Networks: eng.Model})
	if err != nil {
		return nil, err
	}
	sched, err := request.Scheduler("lms", eng.Folder.Scheduler)
	if err != nil {
		return nil, err
	}
	draws := make([][]float32, len(req.Noise))
	for i, n := range req.Noise {
		draws[i] = n
	}
	var res []engine.Residual
	for _, r := range req.Residuals {
		res = append(res, engine.Residual{Token: r.Token, Vector: r.Vector})
	}
	steps := 0
	out, err := eng.Generate(ctx, engine.Request{Width: req.Resolution, Height: req.Resolution, Prompt: req.Prompt,
		Negative: req.Negative, Residuals: res, Grids: grids, Steps: req.Steps, GuidanceSteps: req.GuidanceSteps,
		GuidanceWeight: req.GuidanceWeight, CFGScale: req.CFG, Scheduler: sched, Noise: noise.NewReplay(draws...),
		OnStep: func(step, total int, _ []float32) { steps++ }})
	if err != nil {
		return nil, err
	}
	return map[string]any{"latents": F32(out.Latents), "rgba": out.RGBA, "steps": steps}, nil
}

// loseDevice destroys the engine's device, as a driver reset would lose it.
func loseDevice(ctx context.Context, raw json.RawMessage) (any, error) {
	eng.Dev.Destroy()
	<-eng.Dev.Lost()
	return eng.Dev.Err().Error(), nil
}

// counts returns the engine's dispatch, run and bind-group counters.
func counts(ctx context.Context, raw json.RawMessage) (any, error) {
	return eng.Counts(), nil
}

// warm runs engine.Warm at Size x Size pixels and returns the engine's counters after it.
func warm(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct{ Size int }
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	if err := eng.Warm(ctx, req.Size, req.Size); err != nil {
		return nil, err
	}
	return eng.Counts(), nil
}
