//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu/compute"
)

// Bench measures one graph of the loaded model at latent size h x w: the whole evaluation
// (median of reps runs, each one submit waited for) and every dispatch alone (reps repetitions
// in one submit), grouped by kernel family. which is "unet" (batch 2, layout edit, CFG),
// "text" (batch 2) or "vae".
func (e *Engine) Bench(ctx context.Context, which string, h, w, reps int) (*BenchReport, error) {
	var build func() (*gpugraph.Graph, error)
	switch which {
	case "unet":
		build = func() (*gpugraph.Graph, error) {
			return gpugraph.UNet(e.Model.UNet, gpugraph.UNetOptions{Batch: 2, H: h, W: w, F16: e.F16, Limit: e.limit(),
				Edit: true, EditBatch: 1, CFG: true, TextKV: true})
		}
	case "text":
		build = func() (*gpugraph.Graph, error) {
			return gpugraph.TextEncoder(e.Model.TextEncoder, gpugraph.TextOptions{Batch: 2, F16: e.F16, Limit: e.limit()})
		}
	case "vae":
		build = func() (*gpugraph.Graph, error) {
			return gpugraph.VAEDecoder(e.Model.VAE, gpugraph.VAEOptions{H: h, W: w, F16: e.F16, Limit: e.limit()})
		}
	default:
		return nil, fmt.Errorf("bench: unknown graph %q (unet, text or vae)", which)
	}
	key := "bench/" + which
	defer e.drop(key)
	p, err := e.program(ctx, key, build, nil)
	if err != nil {
		return nil, err
	}
	reps = max(reps, 1)
	r := &BenchReport{Graph: which, Device: e.Dev.Adapter, Dispatches: len(p.calls), FLOPs: p.G.FLOPs(), Bytes: p.G.Bytes()}
	// warm up: the first run pays for lazy compilation in the driver
	if err := p.Run(); err != nil {
		return nil, err
	}
	if err := e.Dev.Done(ctx); err != nil {
		return nil, err
	}
	times := make([]float64, reps)
	for i := range times {
		start := time.Now()
		if err := p.Run(); err != nil {
			return nil, err
		}
		if err := e.Dev.Done(ctx); err != nil {
			return nil, err
		}
		times[i] = time.Since(start).Seconds()
	}
	r.Eval = median(times)
	if which == "unet" {
		if err := e.benchUNetExtras(ctx, p, r, h, w, reps); err != nil {
			return nil, err
		}
	}
	fams := map[string]*BenchFamily{}
	add := func(i int, c *compute.Call, sec float64) {
		f := fams[c.Kernel.Family()]
		if f == nil {
			f = &BenchFamily{Family: c.Kernel.Family()}
			fams[c.Kernel.Family()] = f
		}
		f.Calls++
		f.FLOPs += c.FLOPs
		f.Bytes += p.G.OpBytes(i)
		f.Seconds += sec
	}
	if e.Dev.HasTimestamps() {
		// every dispatch in a pass of its own, timed on the GPU, all in one submit per repetition
		r.Timer = "gpu timestamps"
		q, err := e.Dev.CreateTimestamps(2 * len(p.calls))
		if err != nil {
			return nil, err
		}
		defer q.Destroy()
		per := make([][]float64, len(p.calls))
		for range reps {
			enc := e.Dev.NewEncoder()
			for i, c := range p.calls {
				c.RecordTimed(enc, q, i)
			}
			if err := enc.Submit(); err != nil {
				return nil, err
			}
			ts, err := e.Dev.ReadTimestamps(ctx, q)
			if err != nil {
				return nil, err
			}
			for i := range p.calls {
				per[i] = append(per[i], (ts[2*i+1]-ts[2*i])/1e9)
			}
		}
		for i, c := range p.calls {
			add(i, c, median(per[i]))
		}
	} else {
		r.Timer = "wall clock per dispatch"
		for i, c := range p.calls {
			enc := e.Dev.NewEncoder()
			for range reps {
				c.Record(enc)
			}
			start := time.Now()
			if err := enc.Submit(); err != nil {
				return nil, err
			}
			if err := e.Dev.Done(ctx); err != nil {
				return nil, err
			}
			add(i, c, time.Since(start).Seconds()/float64(reps))
		}
	}
	r.Families = sortFamilies(fams)
	return r, nil
}

// benchUNetExtras times the UNet step without guidance and the once-per-generation text K/V.
func (e *Engine) benchUNetExtras(ctx context.Context, p *Program, r *BenchReport, h, w, reps int) error {
	timed := func(run func() error) (float64, error) {
		times := make([]float64, reps)
		for i := range times {
			start := time.Now()
			if err := run(); err != nil {
				return 0, err
			}
			if err := e.Dev.Done(ctx); err != nil {
				return 0, err
			}
			times[i] = time.Since(start).Seconds()
		}
		return median(times), nil
	}
	var err error
	if r.Unguided, err = timed(func() error { return p.RunStep(false) }); err != nil {
		return err
	}
	for _, op := range p.G.Ops {
		if !op.Guided {
			r.UnguidedDispatches++
		}
	}
	const key = "bench/textkv"
	defer e.drop(key)
	kv, err := e.program(ctx, key, func() (*gpugraph.Graph, error) {
		return gpugraph.UNetTextKV(e.Model.UNet, gpugraph.UNetOptions{Batch: 2, H: h, W: w, F16: e.F16, Limit: e.limit(), TextKV: true})
	}, nil)
	if err != nil {
		return err
	}
	r.TextKVDispatches, r.TextKVFLOPs = len(kv.calls), kv.G.FLOPs()
	r.TextKV, err = timed(kv.Run)
	return err
}

// BenchGenerate times whole generations at size x size pixels with steps steps (guided of them
// with layout guidance, one subject box): the median of reps runs after a warm-up run.
func (e *Engine) BenchGenerate(ctx context.Context, size, steps, guided, reps int) (*GenerateReport, error) {
	tc := e.Model.TextEncoder.Config
	ids := func(first int) []int {
		out := make([]int, tc.MaxPositionEmbeddings)
		for i := range out {
			out[i] = (first + 7*i) % tc.VocabSize
		}
		return out
	}
	l := &layout.Layout{Subjects: []layout.Subject{{Word: "a", Boxes: []layout.Box{{X0: 0, Y0: 0, X1: 0.5, Y1: 1}}, Weight: 2.5}}, Negative: -1e8}
	grids, err := request.Grids(l, [][]int{{2}}, size, size, request.Model{Networks: e.Model})
	if err != nil {
		return nil, err
	}
	sched, err := request.Scheduler("lms", e.Folder.Scheduler)
	if err != nil {
		return nil, err
	}
	req := func(seed uint64) Request {
		return Request{Width: size, Height: size, Prompt: ids(3), Negative: ids(5), Grids: grids, Steps: steps, GuidanceSteps: guided,
			GuidanceWeight: 1.5, CFGScale: 7.5, Scheduler: sched, Noise: noise.New(seed)}
	}
	r := &GenerateReport{Device: e.Dev.Adapter, Size: size, Steps: steps, Guided: guided}
	before, start := e.Counts(), time.Now()
	if _, err := e.Generate(ctx, req(1)); err != nil { // warm-up: programs and pipelines
		return nil, err
	}
	r.First, r.FirstPipelines = time.Since(start).Seconds(), e.Counts().Pipelines-before.Pipelines
	reps = max(reps, 1)
	times := make([]float64, reps)
	for i := range times {
		before := e.Counts()
		start := time.Now()
		if _, err := e.Generate(ctx, req(uint64(2+i))); err != nil {
			return nil, err
		}
		times[i] = time.Since(start).Seconds()
		after := e.Counts()
		r.Counts = Counts{Runs: after.Runs - before.Runs, Dispatches: after.Dispatches - before.Dispatches,
			TextKV: after.TextKV - before.TextKV, Guided: after.Guided - before.Guided,
			BindGroups: after.BindGroups - before.BindGroups, Pipelines: after.Pipelines - before.Pipelines}
	}
	r.Seconds = median(times)
	return r, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// sortFamilies orders families by time spent.
func sortFamilies(m map[string]*BenchFamily) []BenchFamily {
	var out []BenchFamily
	for _, f := range m {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seconds > out[j].Seconds })
	return out
}
