//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cones2web/cones2/webgpu/compute"
	"github.com/cones2web/cones2/webgpu/graph"
)

// Bench measures one graph of the loaded model at latent size h x w: the whole evaluation
// (median of reps runs, each one submit waited for) and every dispatch alone (reps repetitions
// in one submit), grouped by kernel family. which is "unet" (batch 2, layout edit, CFG),
// "text" (batch 2) or "vae".
func (e *Engine) Bench(ctx context.Context, which string, h, w, reps int) (*BenchReport, error) {
	var build func() (*graph.Graph, error)
	switch which {
	case "unet":
		build = func() (*graph.Graph, error) {
			return graph.UNet(e.Model.UNet, graph.UNetOptions{Batch: 2, H: h, W: w, F16: e.F16, Limit: e.limit(),
				Edit: true, EditBatch: 1, CFG: true, CFGScale: 7.5})
		}
	case "text":
		build = func() (*graph.Graph, error) {
			return graph.TextEncoder(e.Model.TextEncoder, graph.TextOptions{Batch: 2, F16: e.F16, Limit: e.limit()})
		}
	case "vae":
		build = func() (*graph.Graph, error) {
			return graph.VAEDecoder(e.Model.VAE, graph.VAEOptions{H: h, W: w, F16: e.F16, Limit: e.limit()})
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
	r := &BenchReport{Graph: which, Device: e.Dev.Adapter, Dispatches: len(p.calls), FLOPs: p.G.FLOPs()}
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
	fams := map[string]*BenchFamily{}
	add := func(c *compute.Call, sec float64) {
		f := fams[c.Kernel.Family()]
		if f == nil {
			f = &BenchFamily{Family: c.Kernel.Family()}
			fams[c.Kernel.Family()] = f
		}
		f.Calls++
		f.FLOPs += c.FLOPs
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
			add(c, median(per[i]))
		}
	} else {
		r.Timer = "wall clock per dispatch"
		for _, c := range p.calls {
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
			add(c, time.Since(start).Seconds()/float64(reps))
		}
	}
	r.Families = sortFamilies(fams)
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
