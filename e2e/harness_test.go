package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/internal/fixture"
)

// f32 is a float32 slice as the harness passes it: base64 little-endian.
type f32 []float32

func (f f32) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

func (f *f32) UnmarshalJSON(data []byte) error {
	var b []byte
	if err := json.Unmarshal(data, &b); err != nil {
		return err
	}
	*f = make([]float32, len(b)/4)
	for i := range *f {
		(*f)[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}

// harness is one page running e2e/harness with one model loaded.
type harness struct {
	page *headless.Page
	info map[string]any
}

var harnesses sync.Map // "variant/f32=bool" -> *harness

// loadHarness returns the page of variant v with its model loaded (f32 or f16 weights, never the
// engine's own choice, so that the f16 tests run the kernels' f16 paths on every adapter), loading
// it on first use: every test of a variant shares one page and one loaded model.
func loadHarness(t *testing.T, v fixture.Variant, f32w bool) *harness {
	t.Helper()
	key := fmt.Sprintf("%s/f32=%v", v.Name, f32w)
	if h, ok := harnesses.Load(key); ok {
		return h.(*harness)
	}
	defer capture(t)()
	h := startHarness(t)
	start := time.Now()
	precision := "f16"
	if f32w {
		precision = "f32"
	}
	h.call(t, "load", map[string]any{"URL": "/fixtures/" + v.Name, "Weights": precision}, &h.info)
	t.Logf("loaded %s (f32 weights %v) in %v: %v", v.Name, f32w, time.Since(start).Round(time.Millisecond), h.info)
	// On SwiftShader the engine compiles the CPU adapters' kernels (wgsl.ForCPU), so the fixture
	// tests check those against the official numbers.
	if a, _ := h.info["adapter"].(string); strings.Contains(strings.ToLower(a), "swiftshader") && h.info["cpuAdapterKernels"] != true {
		t.Fatalf("adapter %q: the engine did not pick the CPU adapters' kernels (%v)", a, h.info)
	}
	harnesses.Store(key, h)
	return h
}

// startHarness opens a page running e2e/harness, with no model loaded yet.
func startHarness(t *testing.T) *harness {
	t.Helper()
	b, s := env(t)
	url := wasmBinary(t, "./e2e/harness", false)
	p, err := b.Open(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := p.Start(ctx, url, nil, nil); err != nil {
		t.Fatal(err)
	}
	return &harness{page: p}
}

// call invokes conesHarness.method(JSON of req) and decodes the JSON answer into out.
func (h *harness) call(t *testing.T, method string, req, out any) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var s string
	if err := h.page.Eval(ctx, fmt.Sprintf("conesHarness.%s(%s)", method, strconv.Quote(string(b))), &s); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(s), out); err != nil {
			t.Fatalf("%s: decode answer: %v", method, err)
		}
	}
}
