//go:build js && wasm

package compute

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/wgsl"
	"github.com/x448/float16"
)

// runner is the one device all kernel tests share (these tests run inside headless Chromium,
// built with GOOS=js GOARCH=wasm go test -c and started by e2e/).
var runner *Runner

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	ad, err := webgpu.RequestAdapter(ctx)
	if err != nil {
		fmt.Println("FAIL: no WebGPU adapter:", err)
		os.Exit(1)
	}
	dev, err := ad.RequestDevice(ctx, webgpu.DeviceOptions{Need: webgpu.Kernels(), What: "kernel tests"})
	cancel()
	if err != nil {
		fmt.Println("FAIL: no WebGPU device:", err)
		os.Exit(1)
	}
	fmt.Printf("adapter: %s; limits: %s; f16: %v\n", ad.Info, dev.Limits, dev.HasF16())
	runner = New(dev)
	runner.CPU = false // every test runs the variants it names
	os.Exit(m.Run())
}

// rng is seeded from the case name, so a failure reproduces.
func rng(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), 1))
}

func randF(r *rand.Rand, n int, scale float64) wgsl.Mem {
	f := make([]float32, n)
	for i := range f {
		f[i] = float32(r.NormFloat64() * scale)
	}
	return wgsl.Mem{F: f}
}

func randH(r *rand.Rand, n int, scale float64) wgsl.Mem {
	h := make([]uint16, n)
	for i := range h {
		h[i] = float16.Fromfloat32(float32(r.NormFloat64() * scale)).Bits()
	}
	return wgsl.Mem{H: h}
}

// randW is a weight in f16 or f32.
func randW(r *rand.Rand, n int, scale float64, f16 bool) wgsl.Mem {
	if f16 {
		return randH(r, n, scale)
	}
	return randF(r, n, scale)
}

func clone(args []wgsl.Mem) []wgsl.Mem {
	out := make([]wgsl.Mem, len(args))
	for i, a := range args {
		switch {
		case a.H != nil:
			out[i].H = append([]uint16(nil), a.H...)
		case a.U != nil:
			out[i].U = append([]uint32(nil), a.U...)
		default:
			out[i].F = append([]float32(nil), a.F...)
		}
	}
	return out
}

// check runs k on the GPU and its Ref on the CPU over the same inputs (outputs start as the same
// random values, so an element the GPU forgets to write is caught) and compares every written
// buffer: max |got-want| / max(1, max |want|) must stay within tol; a failure names the worst index.
func check(t *testing.T, k wgsl.Kernel, p any, args []wgsl.Mem, tol float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := clone(args)
	if err := k.Ref(p, want); err != nil {
		t.Fatalf("ref: %v", err)
	}
	got, err := runner.Run(ctx, k, p, args)
	if err != nil {
		t.Fatalf("gpu: %v", err)
	}
	for i, b := range k.Bindings() {
		if !b.Write {
			continue
		}
		if b.Type == wgsl.U32 {
			for j := range want[i].U {
				if got[i].U[j] != want[i].U[j] {
					t.Fatalf("%s[%d]: got %#x, want %#x", b.Name, j, got[i].U[j], want[i].U[j])
				}
			}
			continue
		}
		compare(t, b.Name, got[i].F, want[i].F, tol)
	}
}

// checkVariants is check of k as a GPU runs it (the runner applies wgsl.ForGPU for p) and of its
// variant for CPU adapters (wgsl.ForCPU), where that differs: the engine runs one or the other
// depending on the adapter, so both must hold.
func checkVariants(t *testing.T, k wgsl.Kernel, p any, args []wgsl.Mem, tol float64) {
	t.Helper()
	t.Run("gpu", func(t *testing.T) { check(t, k, p, clone(args), tol) })
	if d := wgsl.ForCPU(k, p); d != k {
		t.Run("cpu", func(t *testing.T) { check(t, d, p, clone(args), tol) })
	}
}

func compare(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	scale := 1.0
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if at < 0 || d > worst {
			worst, at = d, i
		}
	}
	if worst/scale > tol {
		t.Fatalf("%s: normalised error %.3g > %.1g at index %d of %d: got %g, want %g (scale %g)",
			name, worst/scale, tol, at, len(want), got[at], want[at], scale)
	}
	t.Logf("%s: normalised error %.3g (%d values)", name, worst/scale, len(want))
}
