package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/webgpu/graph"
	"github.com/cones2web/cones2/weights"
)

// runBenchGPU runs the WebGPU engine's benchmark page in headless Chromium: per-kernel-family
// GFLOP/s and the time of one denoising step (UNet, batch 2, layout edit, CFG) on a model folder,
// then the FLOP counts of the same kernels for a full-size config (SD 2.1-base at 512x512).
func runBenchGPU(args []string) error {
	fl := flag.NewFlagSet("benchgpu", flag.ContinueOnError)
	root, _ := fixture.Root()
	model := fl.String("model", filepath.Join(root, "sd21base"), "model folder to benchmark (diffusers layout)")
	size := fl.Int("size", 0, "image side in pixels (default: the model's sample size)")
	f32 := fl.Bool("f32", false, "keep weights in float32 (default f16)")
	gpu := fl.Bool("gpu", false, "use the host GPU instead of SwiftShader")
	reps := fl.Int("reps", 3, "repetitions per measurement")
	flopsCfg := fl.String("flops", filepath.Join(root, "external", "sd21-configs", "stable-diffusion-2-1-base"),
		"config folder whose FLOP counts to print")
	flopsSize := fl.Int("flops-size", 512, "image side for the FLOP counts")
	if err := fl.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := benchPage(ctx, *model, *size, *f32, *gpu, *reps); err != nil {
		return err
	}
	return printFLOPs(*flopsCfg, *flopsSize)
}

func benchPage(ctx context.Context, model string, size int, f32, gpu bool, reps int) error {
	f, err := weights.Open(model)
	if err != nil {
		return err
	}
	m, err := f.Describe()
	if err != nil {
		return err
	}
	if size == 0 {
		size = m.VAE.Config.SampleSize
	}
	lat := size / m.VAE.DownsampleFactor()
	mod, err := headless.ModuleDir()
	if err != nil {
		return err
	}
	bin, err := os.MkdirTemp("", "cones-benchgpu-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	fmt.Fprintln(os.Stderr, "benchgpu: building the harness for js/wasm")
	if err := headless.BuildWasm(mod, "./e2e/harness", filepath.Join(bin, "harness.wasm")); err != nil {
		return err
	}
	srv, err := headless.NewServer(map[string]string{"bin": bin, "model": model})
	if err != nil {
		return err
	}
	defer srv.Close()
	b, err := headless.Start(ctx, headless.Options{GPU: gpu, Log: func(s string) { fmt.Fprintln(os.Stderr, "browser:", s) }})
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := b.Open(srv.URL)
	if err != nil {
		return err
	}
	if err := p.Start(ctx, "/bin/harness.wasm", nil, nil); err != nil {
		return err
	}
	call := func(method string, req any) (string, error) {
		raw, _ := json.Marshal(req)
		var s string
		err := p.Eval(ctx, fmt.Sprintf("conesHarness.%s(%s)", method, strconv.Quote(string(raw))), &s)
		return s, err
	}
	start := time.Now()
	info, err := call("load", map[string]any{"URL": "/model", "F32": f32})
	if err != nil {
		return err
	}
	fmt.Printf("model %s loaded in %v: %s\n\n", model, time.Since(start).Round(time.Millisecond), info)
	for _, g := range []string{"text", "unet", "vae"} {
		s, err := call("bench", map[string]any{"Graph": g, "H": lat, "W": lat, "Reps": reps})
		if err != nil {
			return fmt.Errorf("bench %s: %w", g, err)
		}
		var out struct{ Text string }
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return err
		}
		if g == "unet" {
			fmt.Printf("one denoising step = one UNet evaluation (batch 2, layout edit, CFG) at %dx%d px:\n", size, size)
		}
		fmt.Println(out.Text)
	}
	return nil
}

// printFLOPs prints per-family dispatches and FLOPs of the text encoder, one UNet evaluation and
// the VAE decode of a config folder, and its memory plan.
func printFLOPs(dir string, size int) error {
	f, err := weights.Open(dir)
	if err != nil {
		return err
	}
	m, err := f.Describe()
	if err != nil {
		return err
	}
	lat := size / m.VAE.DownsampleFactor()
	te, err := graph.TextEncoder(m.TextEncoder, graph.TextOptions{Batch: 2, F16: true, Limit: 2 << 30})
	if err != nil {
		return err
	}
	un, err := graph.UNet(m.UNet, graph.UNetOptions{Batch: 2, H: lat, W: lat, F16: true, Limit: 2 << 30, Edit: true,
		EditBatch: 1, CFG: true, CFGScale: 7.5})
	if err != nil {
		return err
	}
	vae, err := graph.VAEDecoder(m.VAE, graph.VAEOptions{H: lat, W: lat, F16: true, Limit: 2 << 30})
	if err != nil {
		return err
	}
	fmt.Printf("FLOP counts of %s at %dx%d (f16 weights):\n", dir, size, size)
	for _, x := range []struct {
		name string
		g    *graph.Graph
	}{{"text encoder (batch 2)", te}, {"UNet step (batch 2, edit, CFG)", un}, {"VAE decode", vae}} {
		fmt.Printf("%s: %d dispatches, %.1f GFLOP\n", x.name, len(x.g.Ops), x.g.FLOPs()/1e9)
		for _, s := range x.g.Families() {
			fmt.Printf("  %-10s %5d dispatches %10.2f GFLOP\n", s.Family, s.Dispatches, s.FLOPs/1e9)
		}
	}
	for _, limit := range []uint64{128 << 20, 2 << 30} {
		mem, err := graph.PlanPipeline(m, graph.PipelineOptions{Width: size, Height: size, F16: true, Limit: limit})
		if err != nil {
			return err
		}
		fmt.Printf("memory plan with a %d MiB binding limit: %v\n", limit>>20, mem)
	}
	return nil
}
