package web

import (
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func testAssets() fstest.MapFS {
	return fstest.MapFS{
		"index.html": {Data: []byte(`<!doctype html>
<html>  <head>
  <link rel="stylesheet" href="{{asset "style.css"}}">
  </head>
  <body data-v="{{version}}">   <p>hello</p>   </body></html>`)},
		"style.css": {Data: []byte("body {\n  margin: 0px;\n}\n")},
		"sw.js":     {Data: []byte("const FILES = {{assets}};\nconst V = \"{{version}}\";\n")},
		"app.wasm":  {Data: []byte(strings.Repeat("\x00asm", 2000))},
	}
}

func newTestServer(t *testing.T, modelDir string) *httptest.Server {
	t.Helper()
	srv, err := New(Options{Assets: []fs.FS{testAssets()}, ModelDir: modelDir})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A transport without automatic decompression, so the test sees what the server sent.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestIndexIsMinifiedWithHashedAssetsAndHeaders(t *testing.T) {
	ts := newTestServer(t, "")
	resp, body := get(t, ts.URL+"/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(body, "  ") {
		t.Errorf("index.html not minified: %q", body)
	}
	if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "'wasm-unsafe-eval'") || strings.Contains(got, "unsafe-inline") {
		t.Errorf("CSP = %q", got)
	}
	if resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("index Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	m := regexp.MustCompile(`/app/[0-9a-f]{16}/style\.css`).FindString(body)
	if m == "" {
		t.Fatalf("no hashed style.css URL in %q", body)
	}
	resp, css := get(t, ts.URL+m, nil)
	if resp.StatusCode != 200 || css != "body{margin:0}" {
		t.Errorf("style.css: %d %q", resp.StatusCode, css)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("hashed asset Cache-Control = %q", cc)
	}
	// Conditional GET answers 304.
	resp, _ = get(t, ts.URL+m, map[string]string{"If-None-Match": resp.Header.Get("ETag")})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d", resp.StatusCode)
	}
	// A stale hash never serves other bytes.
	resp, _ = get(t, ts.URL+"/app/0000000000000000/style.css", nil)
	if resp.StatusCode != 404 {
		t.Errorf("stale hash: status %d", resp.StatusCode)
	}
}

func TestWasmIsCompressedWithItsMediaType(t *testing.T) {
	ts := newTestServer(t, "")
	_, sw := get(t, ts.URL+"/sw.js", nil)
	u := regexp.MustCompile(`/app/[0-9a-f]{16}/app\.wasm`).FindString(sw)
	if u == "" {
		t.Fatalf("service worker lists no app.wasm: %q", sw)
	}
	resp, body := get(t, ts.URL+u, map[string]string{"Accept-Encoding": "gzip, br"})
	if resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != strings.Repeat("\x00asm", 2000) {
		t.Error("gzip body does not decode to the wasm file")
	}
	resp, body = get(t, ts.URL+u, nil)
	if resp.Header.Get("Content-Encoding") != "" || len(body) != 8000 {
		t.Errorf("identity request got encoding %q, %d bytes", resp.Header.Get("Content-Encoding"), len(body))
	}
}

func TestModelFilesRangeAndContainment(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	os.MkdirAll(filepath.Join(model, "unet"), 0o755)
	os.WriteFile(filepath.Join(model, "unet", "w.safetensors"), []byte("0123456789"), 0o644)
	os.WriteFile(filepath.Join(model, ".secret"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "outside.txt"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(dir, "outside.txt"), filepath.Join(model, "link.txt"))
	ts := newTestServer(t, model)

	resp, body := get(t, ts.URL+"/model/unet/w.safetensors", map[string]string{"Range": "bytes=2-5"})
	if resp.StatusCode != http.StatusPartialContent || body != "2345" {
		t.Fatalf("range: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Range") != "bytes 2-5/10" {
		t.Errorf("Content-Range = %q", resp.Header.Get("Content-Range"))
	}
	for _, p := range []string{"/model/../outside.txt", "/model/%2e%2e/outside.txt", "/model/link.txt", "/model/.secret", "/model/unet/", "/model/nope"} {
		resp, body := get(t, ts.URL+p, nil)
		if resp.StatusCode == 200 || strings.Contains(body, "secret") {
			t.Errorf("%s: status %d body %q", p, resp.StatusCode, body)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	srv, err := New(Options{Assets: []fs.FS{testAssets()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	resp, _ := get(t, "http://"+addr.String()+"/healthz", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestNoIndexIsAnError(t *testing.T) {
	_, err := New(Options{Assets: []fs.FS{fstest.MapFS{"a.css": {Data: []byte("a{}")}}}})
	if err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Fatalf("err = %v", err)
	}
}
