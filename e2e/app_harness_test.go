package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/cones2web/cones2/e2e/headless"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/web"
	"github.com/cones2web/cones2/ui"
	"github.com/cones2web/cones2/weights"
)

// appSite is the product as a person meets it: the real server (server/web) serving the page of
// ui/ with the wasm program built from ./wasm and a model folder converted from a fixture model,
// and one Chromium tab on it with a download folder.
//
// The page tests need the tab's chromedp context (pointer events, file inputs, downloads), which
// headless.Browser keeps to itself, and a profile of their own (the offline tests own its caches),
// so they start their own Chromium once per run of TestApp, with headless.AllocatorOptions;
// building, fixtures and the skip rule come from package headless too.
type appSite struct {
	t        *testing.T
	variant  fixture.Variant
	dir      string // temporary folder of the run
	modelDir string
	webDir   string
	dlDir    string // where the browser saves downloads
	url      string

	// mount, when set, adds API routes to every server the site starts (the training API) and
	// returns what to close when that server stops.
	mount      func(*web.Server) (close func())
	stopServer context.CancelFunc
	served     chan error
	addr       string // the server's address, kept across restarts: the origin owns the caches

	ctx    context.Context // the tab
	cancel context.CancelFunc

	logMu sync.Mutex
	logT  testing.TB // the top-level test, which outlives every subtest; nil once closed

	missing notFound // the requests the server answered 404, across restarts
}

// notFound records the requests a server answered with 404 (from its request log): the page
// should ask only for files that exist.
type notFound struct {
	mu    sync.Mutex
	paths []string
}

func (n *notFound) Enabled(context.Context, slog.Level) bool { return true }
func (n *notFound) WithAttrs([]slog.Attr) slog.Handler       { return n }
func (n *notFound) WithGroup(string) slog.Handler            { return n }

func (n *notFound) Handle(_ context.Context, r slog.Record) error {
	var method, path string
	var status int64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			method = a.Value.String()
		case "path":
			path = a.Value.String()
		case "status":
			if a.Value.Kind() == slog.KindInt64 {
				status = a.Value.Int64()
			}
		}
		return true
	})
	if status == http.StatusNotFound {
		n.mu.Lock()
		n.paths = append(n.paths, method+" "+path)
		n.mu.Unlock()
	}
	return nil
}

// list is every 404 so far.
func (n *notFound) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.paths)
}

// logf forwards browser console lines to the top-level test until the site closes (a subtest's
// t must not be logged to after it ends).
func (s *appSite) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.logT != nil {
		s.logT.Logf(format, args...)
	}
}

// appVariant picks the fixture model the page is served with: sd21base when present (the
// product's default family), else the first folder found.
func appVariant(t *testing.T) fixture.Variant {
	vs := fixture.Variants(t)
	for _, v := range vs {
		if v.Name == weights.TinySD21Base {
			return v
		}
	}
	return vs[0]
}

func startAppSite(t *testing.T) *appSite {
	t.Helper()
	return newAppSite(t, nil)
}

// newAppSite builds the page, converts the fixture model, starts the server (with mount's
// routes) and the browser, and opens the page.
func newAppSite(t *testing.T, mount func(s *appSite, srv *web.Server) (close func())) *appSite {
	t.Helper()
	return newAppSiteServing(t, "", mount)
}

// newAppSiteServing is newAppSite serving the model folder model as it is (read only), or the
// converted fixture model when model is empty.
func newAppSiteServing(t *testing.T, model string, mount func(s *appSite, srv *web.Server) (close func())) *appSite {
	t.Helper()
	exe, err := headless.FindChromium()
	if err != nil {
		if os.Getenv(headless.SkipEnv) == "1" {
			t.Skipf("skipping browser test: %v", err)
		}
		t.Fatal(err)
	}
	s := &appSite{t: t, logT: t, dir: t.TempDir(), modelDir: model}
	s.webDir = filepath.Join(s.dir, "web")
	s.dlDir = filepath.Join(s.dir, "downloads")
	if err := os.MkdirAll(s.dlDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.buildWeb()
	if model == "" {
		s.variant = appVariant(t)
		s.modelDir = filepath.Join(s.dir, "model")
		if _, err := weights.Convert(s.variant.Dir, s.modelDir, weights.ConvertOptions{}); err != nil {
			t.Fatalf("convert %s for serving: %v", s.variant.Name, err)
		}
	}
	if mount != nil {
		s.mount = func(srv *web.Server) func() { return mount(s, srv) }
	}
	s.addr = "127.0.0.1:0"
	s.startServer()
	s.startBrowser(exe)
	t.Cleanup(s.close)
	s.open()
	return s
}

// buildWeb compiles the page's program and copies Go's loader next to it: what `make run` does.
func (s *appSite) buildWeb() {
	mod, err := headless.ModuleDir()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := headless.BuildWasm(mod, "./wasm", filepath.Join(s.webDir, "app.wasm")); err != nil {
		s.t.Fatal(err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		s.t.Fatal(err)
	}
	loader, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.webDir, "wasm_exec.js"), loader, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *appSite) startServer() {
	srv, err := web.New(web.Options{Assets: []fs.FS{ui.Files, os.DirFS(s.webDir)}, ModelDir: s.modelDir,
		Logger: slog.New(&s.missing)})
	if err != nil {
		s.t.Fatal(err)
	}
	closeMount := func() {}
	if s.mount != nil {
		closeMount = s.mount(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	s.served = make(chan error, 1)
	s.stopServer = cancel
	go func() {
		err := srv.ListenAndServe(ctx, s.addr, func(a net.Addr) { addr <- a })
		closeMount()
		s.served <- err
	}()
	select {
	case a := <-addr:
		s.addr = a.String()
		s.url = "http://" + s.addr + "/"
	case err := <-s.served:
		s.t.Fatalf("server: %v", err)
	}
}

// stop shuts the server down, as a person closing `make run` would.
func (s *appSite) stop() {
	s.t.Helper()
	if s.stopServer == nil {
		return
	}
	s.stopServer()
	s.stopServer = nil
	if err := <-s.served; err != nil {
		s.t.Errorf("server shutdown: %v", err)
	}
}

func (s *appSite) startBrowser(exe string) {
	opts := append(headless.AllocatorOptions(exe, filepath.Join(s.dir, "profile"), headless.Options{}),
		chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	s.ctx, s.cancel = ctx, func() { cancel(); acancel() }
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			s.logf("browser: %s", m.String())
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		s.t.Fatalf("start %s: %v", exe, err)
	}
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: s.dlDir,
	})
	if err != nil {
		s.t.Fatalf("downloads: %v", err)
	}
}

func (s *appSite) close() {
	s.logMu.Lock()
	s.logT = nil
	s.logMu.Unlock()
	s.stop()
	if s.cancel != nil {
		s.cancel()
	}
}

// open (re)loads the page and waits until the program has started and looked at everything.
func (s *appSite) open() {
	s.t.Helper()
	s.do(chromedp.Navigate(s.url))
	s.waitFor(`document.body.dataset.ready === "true"`, "the page to start")
}

// do runs actions in the tab, failing the test on error.
func (s *appSite) do(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.t.Fatal(err)
	}
}

// pageEval evaluates JavaScript in the page (reading state only: the tests act through input
// events, file inputs and clicks like a person does).
func pageEval[T any](s *appSite, expr string) T {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("pageEval %s: %v", expr, err)
	}
	return v
}

// text is the visible text of the element with this id.
func (s *appSite) text(id string) string {
	s.t.Helper()
	return pageEval[string](s, fmt.Sprintf("document.getElementById(%q).textContent", id))
}

// waitFor polls a JavaScript condition (a value or a promise) until it holds; what says what
// is awaited.
func (s *appSite) waitFor(cond, what string) {
	s.t.Helper()
	s.waitForWithin(cond, what, 2*time.Minute)
}

func (s *appSite) waitForWithin(cond, what string, limit time.Duration) {
	s.t.Helper()
	start := time.Now()
	deadline, report := start.Add(limit), start.Add(30*time.Second)
	for {
		// The condition may be a promise (Cache Storage answers asynchronously).
		ok := pageEval[bool](s, "Promise.resolve("+cond+").then(v => !!v)")
		if ok {
			return
		}
		now := time.Now()
		if now.After(deadline) {
			s.t.Fatalf("gave up waiting for %s (%s); the page says: %s", what, cond, s.pageState())
		}
		if now.After(report) { // a long wait says where the page is, for logs of slow machines
			s.t.Logf("still waiting for %s after %s; the page says: %s", what, now.Sub(start).Round(time.Second), s.pageState())
			report = now.Add(30 * time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pageState is what the page's status lines say.
func (s *appSite) pageState() string {
	return pageEval[string](s, `["status", "alert", "model-message", "prompt-message", "layout-message", "settings-message", "step-text"].map(id =>
		id + ": " + JSON.stringify(document.getElementById(id).textContent)).join("; ")`)
}

// waitText waits until the element's text contains want and returns the text.
func (s *appSite) waitText(id, want string) string {
	s.t.Helper()
	return s.waitTextWithin(id, want, 2*time.Minute)
}

func (s *appSite) waitTextWithin(id, want string, limit time.Duration) string {
	s.t.Helper()
	s.waitForWithin(fmt.Sprintf("document.getElementById(%q).textContent.includes(%q)", id, want),
		fmt.Sprintf("#%s to say %q", id, want), limit)
	return s.text(id)
}

// click clicks an element found by CSS selector, scrolling it into view first.
func (s *appSite) click(sel string) {
	s.t.Helper()
	s.do(chromedp.ScrollIntoView(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// upload puts files in a file input, as the file picker would, which fires its change event.
func (s *appSite) upload(inputID string, paths ...string) {
	s.t.Helper()
	s.do(chromedp.SetUploadFiles(chromedp.ID(inputID), paths))
}

// dropFiles drags files from the desktop onto an element and drops them there.
func (s *appSite) dropFiles(sel string, paths ...string) {
	s.t.Helper()
	raw := pageEval[[]byte](s, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, sel))
	var at [2]float64
	if err := json.Unmarshal(raw, &at); err != nil {
		s.t.Fatal(err)
	}
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
		_, err := chromedp.Call(s.ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: at[0], Y: at[1], Data: data})
		if err != nil {
			s.t.Fatalf("drag %s: %v", typ, err)
		}
	}
}

// typeInto replaces a field's text by typing, key by key.
func (s *appSite) typeInto(id, text string) {
	s.t.Helper()
	s.do(chromedp.ScrollIntoView(chromedp.ID(id)), chromedp.Focus(chromedp.ID(id)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent("\b"),
		chromedp.SendKeys(chromedp.ID(id), text))
}

// selectOption picks an option of a select by value and fires change, as choosing it does.
func (s *appSite) selectOption(sel, value string) {
	s.t.Helper()
	s.do(chromedp.SetValue(chromedp.CSS(sel), value))
	pageEval[bool](s, fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change", {bubbles: true}))`, sel))
}

// canvasPoint converts image-relative coordinates on the layout canvas to viewport pixels.
func (s *appSite) canvasPoint(x, y float64) (float64, float64) {
	s.t.Helper()
	var r struct{ Left, Top, Width, Height float64 }
	raw := pageEval[[]byte](s, `(() => { const c = document.getElementById("layout-canvas");
		c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect();
		return {left: r.left, top: r.top, width: r.width, height: r.height}; })()`)
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatal(err)
	}
	return r.Left + x*r.Width, r.Top + y*r.Height
}

// drag presses the mouse at one point of the canvas, moves in steps and releases at another.
func (s *appSite) drag(x0, y0, x1, y1 float64) {
	s.t.Helper()
	ax, ay := s.canvasPoint(x0, y0)
	bx, by := s.canvasPoint(x1, y1)
	left := func(p *input.DispatchMouseEventParams) {
		p.Button = input.MouseButtonLeft
		p.Buttons = 1
		p.ClickCount = 1
	}
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, ax, ay),
		chromedp.MouseEvent(chromedp.MousePressed, ax, ay, left),
	}
	const steps = 6
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, ax+f*(bx-ax), ay+f*(by-ay),
			func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, bx, by, left))
	s.do(actions...)
}

// touchDrag drags one finger across the canvas (the page must be emulating touch).
func (s *appSite) touchDrag(x0, y0, x1, y1 float64) {
	s.t.Helper()
	ax, ay := s.canvasPoint(x0, y0)
	bx, by := s.canvasPoint(x1, y1)
	touch := func(typ input.DispatchTouchEventType, pts ...*input.TouchPoint) {
		if pts == nil {
			pts = []*input.TouchPoint{}
		}
		if _, err := chromedp.Call(s.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts}); err != nil {
			s.t.Fatalf("touch %s: %v", typ, err)
		}
	}
	touch(input.DispatchTouchEventTypeTouchStart, &input.TouchPoint{X: ax, Y: ay})
	const steps = 6
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		touch(input.DispatchTouchEventTypeTouchMove, &input.TouchPoint{X: ax + f*(bx-ax), Y: ay + f*(by-ay)})
	}
	touch(input.DispatchTouchEventTypeTouchEnd)
}

// key presses keys with the canvas focused.
func (s *appSite) key(keys string, mods ...chromedp.Modifier) {
	s.t.Helper()
	var opts []chromedp.KeyOption
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	s.do(chromedp.KeyEvent(keys, opts...))
}

// downloaded waits for a file the page offered for download and returns its bytes.
func (s *appSite) downloaded(name string) []byte {
	s.t.Helper()
	path := filepath.Join(s.dlDir, name)
	deadline := time.Now().Add(time.Minute)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			if _, err := os.Stat(path + ".crdownload"); errors.Is(err, fs.ErrNotExist) {
				return b
			}
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(s.dlDir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			s.t.Fatalf("no download %s (downloads: %v)", name, names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// forgetDownload removes a downloaded file so the next download of that name is seen.
func (s *appSite) forgetDownload(name string) {
	os.Remove(filepath.Join(s.dlDir, name))
}

// writeWebFile adds a file to the build folder the server serves the app shell from.
func (s *appSite) writeWebFile(name string, data []byte) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.webDir, name), data, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// writeFile writes a file for the page to import and returns its path.
func (s *appSite) writeFile(name string, data []byte) string {
	s.t.Helper()
	p := filepath.Join(s.dir, "files", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// screenshot saves a PNG of the whole page to $CONES_SCREENSHOT when it is set; a relative path
// is taken from the repository root (tests run in e2e/), so CONES_SCREENSHOT=docs/screenshot.png
// works from `make test` and from the root alike.
func (s *appSite) screenshot() {
	s.t.Helper()
	path := os.Getenv("CONES_SCREENSHOT")
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) {
		root, err := headless.ModuleDir()
		if err != nil {
			s.t.Fatal(err)
		}
		path = filepath.Join(root, path)
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot written to %s", path)
}

// serviceWorkerInternals is the text of Chromium's chrome://serviceworker-internals page (every
// registration, its versions' states and clients), read in a tab of its own: what a failure
// about the service worker should show.
func (s *appSite) serviceWorkerInternals() string {
	ctx, cancel := chromedp.NewContext(s.ctx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Navigate("chrome://serviceworker-internals/"), chromedp.Sleep(time.Second)); err != nil {
		return "(not read: " + err.Error() + ")"
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return "(not read: " + err.Error() + ")"
	}
	return text
}
