package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/internal/fixture"
)

// callErr invokes a harness method that must fail and returns the rejection's message.
func (h *harness) callErr(t *testing.T, method string, req string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := h.page.Eval(ctx, "conesHarness."+method+"("+strconv.Quote(req)+")", nil)
	if err == nil {
		t.Fatalf("%s(%s) succeeded, want an error", method, req)
	}
	return err.Error()
}

// freshHarness starts the harness in a new page without loading a model; before runs first.
func freshHarness(t *testing.T, before string) *harness {
	t.Helper()
	b, s := env(t)
	url := wasmBinary(t, "./e2e/harness", false)
	p, err := b.Open(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if before != "" {
		if err := p.Eval(ctx, before, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Start(ctx, url, nil, nil); err != nil {
		t.Fatal(err)
	}
	return &harness{page: p}
}

// TestEngineErrors checks that what goes wrong reaches the page as a message a person can act on.
func TestEngineErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	t.Run("no WebGPU", func(t *testing.T) {
		h := freshHarness(t, `Object.defineProperty(navigator, "gpu", {value: undefined, configurable: true}); true`)
		msg := h.callErr(t, "load", `{"URL":"/fixtures/`+v.Name+`"}`)
		if !strings.Contains(msg, "no WebGPU") {
			t.Errorf("message %q does not say WebGPU is missing", msg)
		}
	})
	t.Run("missing model folder", func(t *testing.T) {
		h := freshHarness(t, "")
		msg := h.callErr(t, "load", `{"URL":"/fixtures/no-such-model"}`)
		if !strings.Contains(msg, "model_index.json") || !strings.Contains(msg, "not found") {
			t.Errorf("message %q does not name the missing file", msg)
		}
	})
	t.Run("bad prompt", func(t *testing.T) {
		h := loadHarness(t, v, true)
		msg := h.callErr(t, "textEncoder", `{"IDs":[[49406,49407]]}`)
		if !strings.Contains(msg, "has 2 tokens, want 77") {
			t.Errorf("message %q", msg)
		}
		msg = h.callErr(t, "textEncoder", `{"IDs":[[`+strings.Repeat("99999999,", 76)+`1]]}`)
		if !strings.Contains(msg, "outside the vocabulary") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("device lost", func(t *testing.T) {
		h := freshHarness(t, "")
		h.call(t, "load", map[string]any{"URL": "/fixtures/" + v.Name, "F32": true}, nil)
		var lost string
		h.call(t, "loseDevice", "{}", &lost)
		if !strings.Contains(lost, "device lost") {
			t.Errorf("loss reported as %q", lost)
		}
		msg := h.callErr(t, "textEncoder", `{"IDs":[[`+strings.Repeat("0,", 76)+`0]]}`)
		if !strings.Contains(msg, "device lost") {
			t.Errorf("a run after the loss failed with %q, want a device-lost error", msg)
		}
	})
}
