package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/internal/fixture"
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
	precision := fl.String("weights", "", "how matrix weights are stored: f16, f32, or empty for the engine's choice (f32 for a small model on a CPU adapter, else f16)")
	halfOnCPU := fl.Bool("half-on-cpu", false, "read f16 weights as WGSL f16 on a CPU adapter with shader-f16 too (llvmpipe; GPUs do by default)")
	gpu := fl.Bool("gpu", false, "use the host GPU instead of SwiftShader (Chromium)")
	deno := fl.String("deno", "", "run the harness under this Deno binary (native WebGPU, no browser) instead of Chromium")
	synthetic := fl.Bool("synthetic", false, "random weights from the model folder's configs (for full-size configs without weights)")
	reps := fl.Int("reps", 3, "repetitions per measurement")
	genSteps := fl.Int("gen-steps", 4, "steps of the timed whole generation (0: none)")
	genGuided := fl.Int("gen-guided", 2, "guided steps of the timed generation")
	genReps := fl.Int("gen-reps", 1, "timed generations (after one warm-up)")
	warm := fl.Bool("warm", false, "compile the pipelines as the page does once a model has loaded (engine.Warm) before the timed generation")
	only := fl.String("only", "text,unet,vae", "graphs to benchmark per dispatch")
	flopsCfg := fl.String("flops", filepath.Join(root, "external", "sd21-configs", "stable-diffusion-2-1-base"),
		"config folder whose FLOP counts to print")
	flopsSize := fl.Int("flops-size", 512, "image side for the FLOP counts")
	if err := fl.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	o := benchOptions{model: *model, size: *size, weights: *precision, halfOnCPU: *halfOnCPU, gpu: *gpu, reps: *reps, deno: *deno, synthetic: *synthetic,
		genSteps: *genSteps, genGuided: *genGuided, genReps: *genReps, warm: *warm, graphs: strings.Split(*only, ",")}
	if err := benchPage(ctx, o); err != nil {
		return err
	}
	return printFLOPs(os.Stdout, *flopsCfg, *flopsSize)
}

type benchOptions struct {
	model     string
	size      int
	weights   string
	halfOnCPU bool
	gpu       bool
	reps      int
	deno      string
	synthetic bool
	genSteps  int
	genGuided int
	genReps   int
	warm      bool
	graphs    []string
}

func benchPage(ctx context.Context, o benchOptions) error {
	f, err := weights.Open(o.model)
	if err != nil {
		return err
	}
	m, err := f.Describe()
	if err != nil {
		return err
	}
	size := o.size
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
	wasm := filepath.Join(bin, "harness.wasm")
	if err := headless.BuildWasm(mod, "./e2e/harness", wasm); err != nil {
		return err
	}
	cmds := []headless.Command{{Method: "load", Arg: map[string]any{"URL": "/model", "Weights": o.weights, "HalfOnCPU": o.halfOnCPU, "Synthetic": o.synthetic}}}
	for _, g := range o.graphs {
		if g == "" {
			continue
		}
		cmds = append(cmds, headless.Command{Method: "bench", Arg: map[string]any{"Graph": g, "H": lat, "W": lat, "Reps": o.reps}})
	}
	if o.warm {
		cmds = append(cmds, headless.Command{Method: "warm", Arg: map[string]any{"Size": size}})
	}
	if o.genSteps > 0 {
		cmds = append(cmds, headless.Command{Method: "benchGen", Arg: map[string]any{"Size": size, "Steps": o.genSteps,
			"Guided": o.genGuided, "Reps": o.genReps}})
	}
	var answers []headless.Answer
	if o.deno != "" {
		// Deno serves the folder's parent so that /model is the folder
		link := filepath.Join(bin, "root")
		if err := os.MkdirAll(link, 0o755); err != nil {
			return err
		}
		abs, _ := filepath.Abs(o.model)
		if err := os.Symlink(abs, filepath.Join(link, "model")); err != nil {
			return err
		}
		answers, err = headless.RunDeno(ctx, o.deno, wasm, link, cmds, func(s string) { fmt.Fprintln(os.Stderr, "deno:", s) })
	} else {
		answers, err = chromiumAnswers(ctx, bin, o, cmds)
	}
	if err != nil {
		return err
	}
	for i, a := range answers {
		if i == 0 {
			fmt.Printf("model %s (synthetic weights: %v) loaded in %.0f ms: %s\n\n", o.model, o.synthetic, a.MS, a.Out)
			continue
		}
		if cmds[i].Method == "warm" {
			var c struct{ Pipelines int }
			if err := json.Unmarshal(a.Out, &c); err != nil {
				return err
			}
			fmt.Printf("warm-up (engine.Warm, run by the page once a model has loaded) at %dx%d px: %.2f s, %d pipelines compiled in all\n",
				size, size, a.MS/1000, c.Pipelines)
			continue
		}
		var out struct{ Text string }
		if err := json.Unmarshal(a.Out, &out); err != nil {
			return err
		}
		if cmds[i].Method == "bench" && cmds[i].Arg.(map[string]any)["Graph"] == "unet" {
			fmt.Printf("one denoising step = one UNet evaluation (batch 2, layout edit, CFG) at %dx%d px:\n", size, size)
		}
		fmt.Println(out.Text)
	}
	return nil
}

// chromiumAnswers runs the commands in a headless Chromium page.
func chromiumAnswers(ctx context.Context, bin string, o benchOptions, cmds []headless.Command) ([]headless.Answer, error) {
	srv, err := headless.NewServer(map[string]string{"bin": bin, "model": o.model})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	b, err := headless.Start(ctx, headless.Options{GPU: o.gpu, Log: func(s string) { fmt.Fprintln(os.Stderr, "browser:", s) }})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	p, err := b.Open(srv.URL)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx, "/bin/harness.wasm", nil, nil); err != nil {
		return nil, err
	}
	var out []headless.Answer
	for _, c := range cmds {
		raw, _ := json.Marshal(c.Arg)
		var s string
		start := time.Now()
		if err := p.Eval(ctx, fmt.Sprintf("conesHarness.%s(%s)", c.Method, strconv.Quote(string(raw))), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Method, err)
		}
		out = append(out, headless.Answer{Method: c.Method, OK: true, MS: float64(time.Since(start).Milliseconds()), Out: json.RawMessage(s)})
	}
	return out, nil
}

// printFLOPs prints per-family dispatches and FLOPs of the text encoder, one UNet evaluation and
// the VAE decode of a config folder, beside the matrix products its description counts (the
// kernels' counts add what those leave out: norms, activations, softmax), and its memory plan.
func printFLOPs(out io.Writer, dir string, size int) error {
	f, err := weights.Open(dir)
	if err != nil {
		return err
	}
	m, err := f.Describe()
	if err != nil {
		return err
	}
	lat := size / m.VAE.DownsampleFactor()
	te, err := gpugraph.TextEncoder(m.TextEncoder, gpugraph.TextOptions{Batch: 2, F16: true, Limit: 2 << 30})
	if err != nil {
		return err
	}
	un, err := gpugraph.UNet(m.UNet, gpugraph.UNetOptions{Batch: 2, H: lat, W: lat, F16: true, Limit: 2 << 30, Edit: true,
		EditBatch: 1, CFG: true, TextKV: true})
	if err != nil {
		return err
	}
	vae, err := gpugraph.VAEDecoder(m.VAE, gpugraph.VAEOptions{H: lat, W: lat, F16: true, Limit: 2 << 30})
	if err != nil {
		return err
	}
	kv, err := gpugraph.UNetTextKV(m.UNet, gpugraph.UNetOptions{Batch: 2, H: lat, W: lat, F16: true, Limit: 2 << 30, TextKV: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "FLOP counts of %s at %dx%d (f16 weights):\n", dir, size, size)
	tokens := m.TextEncoder.Config.MaxPositionEmbeddings
	for _, x := range []struct {
		name string
		g    *gpugraph.Graph
		desc weights.FLOPs // the description's matrix products, for comparison
	}{
		{"text encoder (batch 2)", te, m.TextEncoder.FLOPs(2, tokens)},
		{"text K/V, once per generation", kv, weights.FLOPs{}},
		// the step's graph takes the text K/V from the cache; the description counts them
		{"UNet step (batch 2, edit, CFG)", un, m.UNet.FLOPs(2, lat, lat, tokens)},
		{"VAE decode", vae, m.VAE.DecodeFLOPs(1, lat, lat)},
	} {
		fmt.Fprintf(out, "%s: %d dispatches, %.1f GFLOP, %.0f MB bound\n", x.name, len(x.g.Ops), x.g.FLOPs()/1e9, x.g.Bytes()/1e6)
		if d := x.desc; d.Total() > 0 {
			fmt.Fprintf(out, "  the description's matrix products: %.1f GFLOP (conv %.1f, linear %.1f, attention %.1f)\n",
				d.Total()/1e9, d.Conv/1e9, d.Linear/1e9, d.Attention/1e9)
		}
		for _, s := range x.g.Families() {
			fmt.Fprintf(out, "  %-10s %5d dispatches %10.2f GFLOP %9.1f MB\n", s.Family, s.Dispatches, s.FLOPs/1e9, s.Bytes/1e6)
		}
	}
	for _, limit := range []uint64{128 << 20, 2 << 30} {
		mem, err := gpugraph.PlanPipeline(m, gpugraph.PipelineOptions{Width: size, Height: size, F16: true, Limit: limit})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "memory plan with a %d MiB binding limit: %v\n", limit>>20, mem)
	}
	return nil
}
