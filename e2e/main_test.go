package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/internal/fixture"
)

// shared is the one browser and server every test of the run uses: starting Chromium and
// compiling wasm binaries are the expensive parts, so they happen once.
var shared struct {
	once    sync.Once
	err     error
	browser *headless.Browser
	server  *headless.Server
	binDir  string
	modDir  string
	builds  sync.Map // package -> *build
}

type build struct {
	once sync.Once
	url  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.browser != nil {
		shared.browser.Close()
		shared.server.Close()
	}
	if shared.binDir != "" {
		os.RemoveAll(shared.binDir)
	}
	os.Exit(code)
}

// env returns the shared browser and server, starting them on first use. A missing Chromium
// fails the test (CI installs it) unless CONES_SKIP_BROWSER=1.
func env(t *testing.T) (*headless.Browser, *headless.Server) {
	t.Helper()
	if _, err := headless.FindChromium(); err != nil {
		if os.Getenv(headless.SkipEnv) == "1" {
			t.Skipf("skipping browser test: %v", err)
		}
		t.Fatal(err)
	}
	shared.once.Do(func() {
		shared.modDir, shared.err = headless.ModuleDir()
		if shared.err != nil {
			return
		}
		root, err := fixture.Root()
		if err != nil {
			shared.err = err
			return
		}
		shared.binDir, shared.err = os.MkdirTemp("", "cones-e2e-bin-")
		if shared.err != nil {
			return
		}
		shared.server, shared.err = headless.NewServer(map[string]string{"bin": shared.binDir, "fixtures": root})
		if shared.err != nil {
			return
		}
		ctx := context.Background()
		shared.browser, shared.err = headless.Start(ctx, headless.Options{Log: logLine})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.browser, shared.server
}

// logSink receives browser console lines for the test currently reading them.
var logSink struct {
	mu sync.Mutex
	t  testing.TB
}

func logLine(s string) {
	logSink.mu.Lock()
	defer logSink.mu.Unlock()
	if logSink.t != nil {
		logSink.t.Log(s)
	}
}

// capture sends the browser console to t's log until the returned func is called.
func capture(t testing.TB) func() {
	logSink.mu.Lock()
	logSink.t = t
	logSink.mu.Unlock()
	return func() {
		logSink.mu.Lock()
		logSink.t = nil
		logSink.mu.Unlock()
	}
}

// wasmBinary builds pkg once per run (test binary when test is true) and returns its URL path.
func wasmBinary(t *testing.T, pkg string, test bool) string {
	t.Helper()
	v, _ := shared.builds.LoadOrStore(pkg, &build{})
	b := v.(*build)
	b.once.Do(func() {
		name := filepath.Base(pkg) + ".wasm"
		if test {
			name = filepath.Base(pkg) + ".test.wasm"
			b.err = headless.BuildWasmTest(shared.modDir, pkg, filepath.Join(shared.binDir, name))
		} else {
			b.err = headless.BuildWasm(shared.modDir, pkg, filepath.Join(shared.binDir, name))
		}
		b.url = "/bin/" + name
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.url
}

// runWasmTests runs a package's tests compiled to wasm in a fresh tab and fails if they fail.
func runWasmTests(t *testing.T, pkg string, timeout time.Duration, args ...string) {
	b, s := env(t)
	url := wasmBinary(t, pkg, true)
	p, err := b.Open(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer capture(t)()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	code, err := p.Run(ctx, url, append([]string{"-test.v"}, args...), nil)
	if err != nil {
		t.Fatalf("%s in the browser: %v", pkg, err)
	}
	if code != 0 {
		t.Fatalf("%s: wasm tests exited with %d (their output is above)", pkg, code)
	}
}
