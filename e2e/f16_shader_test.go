package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/internal/fixture"
)

// skipDenoEnv set to 1 skips TestShaderF16 where Deno is missing (.ci/run sets it when npm
// cannot install Deno, and says so).
const skipDenoEnv = "CONES_SKIP_DENO"

// TestShaderF16 runs the component fixtures with f16 weights on an adapter with shader-f16, with
// the kernels that read them as WGSL's own f16 (wgsl.WithHalf; a GPU with the feature gets them
// by default, a CPU adapter when asked, HalfOnCPU): Mesa's llvmpipe (mesa-vulkan-drivers) through
// Deno's WebGPU, since the browser suite's SwiftShader has no shader-f16. The values are
// the same f16 numbers the unpacking kernels read, so the f16 tolerances of TestF16Weights hold.
// It runs both kernel sets: the CPU adapters' (direct) and a GPU's (tiled, GPUKernels), the only
// run of a GPU's f16 kernels here.
func TestShaderF16(t *testing.T) {
	deno := findDeno(t)
	env(t) // the harness is built into the browser suite's folder
	wasm := filepath.Join(shared.binDir, filepath.Base(wasmBinary(t, "./e2e/harness", false)))
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range fixture.Variants(t) {
		if err := os.Symlink(v.Dir, filepath.Join(root, "fixtures", v.Name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range fixture.Variants(t) {
		for _, kernels := range []string{"cpu", "gpu"} {
			t.Run(v.Name+"/"+kernels, func(t *testing.T) { shaderF16Fixture(t, deno, wasm, root, v, kernels == "gpu") })
		}
	}
}

// shaderF16Fixture is TestShaderF16 on one fixture model, with a GPU's kernels or a CPU adapter's.
func shaderF16Fixture(t *testing.T, deno, wasm, root string, v fixture.Variant, gpuKernels bool) {
	ts := v.UNetTimesteps(t)[0]
	key := unetKey(ts)
	cmds := []headless.Command{
		{Method: "load", Arg: map[string]any{"URL": "/fixtures/" + v.Name, "Weights": "f16", "HalfOnCPU": true, "GPUKernels": gpuKernels}},
		{Method: "textEncoder", Arg: textEncoderRequest(t, v)},
		{Method: "unet", Arg: unetRequest(t, v, ts)},
		{Method: "decode", Arg: decodeRequest(t, v)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	answers, err := headless.RunDeno(ctx, deno, wasm, root, cmds, func(s string) { t.Log("deno: " + s) })
	if err != nil {
		t.Fatalf("%v (Deno needs a Vulkan driver: apt-get install -y mesa-vulkan-drivers)", err)
	}
	var info map[string]any
	decodeAnswer(t, answers[0], &info)
	t.Logf("loaded on %v: %v", info["adapter"], info)
	if info["shaderF16"] != true {
		t.Skipf("adapter %v has no shader-f16", info["adapter"])
	}
	if info["shaderF16Kernels"] != true {
		t.Fatalf("the device has shader-f16 and the engine was asked for its kernels, but does not use them: %v", info)
	}
	if info["f16"] != true {
		t.Fatalf("engine not in f16 mode: %v", info)
	}
	if info["cpuAdapterKernels"] == gpuKernels {
		t.Fatalf("asked for a GPU's kernels = %v, engine reports CPU kernels = %v", gpuKernels, info["cpuAdapterKernels"])
	}
	var te, out f32
	decodeAnswer(t, answers[1], &te)
	fixture.AssertClose(t, "shader-f16 last_hidden_state", te, v.Tensor(t, "text_encoder.last_hidden_state").F32, f16TextTol)
	decodeAnswer(t, answers[2], &out)
	fixture.AssertClose(t, "shader-f16 "+key, out, v.Tensor(t, key+".out").F32, f16UNetTol)
	var dec struct{ Image f32 }
	decodeAnswer(t, answers[3], &dec)
	fixture.AssertClose(t, "shader-f16 vae.decode.out", dec.Image, v.Tensor(t, "vae.decode.out").F32, f16VAETol)
}

// findDeno is the Deno binary: $CONES_DENO, `deno` on the PATH, or the one `make deno` installs
// under build/deno. Missing, it fails the test unless CONES_SKIP_DENO=1.
func findDeno(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CONES_DENO"); p != "" {
		return p
	}
	if p, err := exec.LookPath("deno"); err == nil {
		return p
	}
	mod, err := headless.ModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := filepath.Glob(filepath.Join(mod, "build", "deno", "node_modules", "@deno", "*", "deno")); len(ps) > 0 {
		return ps[0]
	}
	if os.Getenv(skipDenoEnv) == "1" {
		t.Skip("skipping: no Deno (make deno installs it with npm)")
	}
	t.Fatal("no Deno: `make deno` installs it with npm (or set CONES_DENO, or CONES_SKIP_DENO=1 to skip)")
	return ""
}

// decodeAnswer decodes one harness answer, failing on a harness error.
func decodeAnswer(t *testing.T, a headless.Answer, out any) {
	t.Helper()
	if !a.OK {
		t.Fatalf("%s: %s", a.Method, a.Error)
	}
	if err := json.Unmarshal(a.Out, out); err != nil {
		t.Fatalf("%s: decode answer: %v", a.Method, err)
	}
}
