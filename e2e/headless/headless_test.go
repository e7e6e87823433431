package headless

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindChromiumOverride(t *testing.T) {
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "no-such-browser"))
	if _, err := FindChromium(); err == nil || !strings.Contains(err.Error(), "no-such-browser") {
		t.Fatalf("err = %v, want it to name the missing CHROMIUM path", err)
	}
	t.Setenv("CHROMIUM", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := FindChromium(); !errors.Is(err, ErrNoChromium) {
		t.Fatalf("err = %v, want ErrNoChromium", err)
	}
	if !strings.Contains(ErrNoChromium.Error(), "apt-get install -y chromium") || !strings.Contains(ErrNoChromium.Error(), SkipEnv) {
		t.Errorf("the message does not say how to install or skip: %v", ErrNoChromium)
	}
}

// TestServer checks what the engine's loader relies on: the runner page, wasm_exec.js, and
// mounted folders answering HEAD with the size and Range requests with 206.
func TestServer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(map[string]string{"m": dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(method, path, rng string) (*http.Response, string) {
		req, _ := http.NewRequest(method, s.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if r, body := get("GET", "/", ""); r.StatusCode != 200 || !strings.Contains(body, "runGo") {
		t.Errorf("runner page: %d", r.StatusCode)
	}
	if r, body := get("GET", "/wasm_exec.js", ""); r.StatusCode != 200 || !strings.Contains(body, "globalThis.Go") {
		t.Errorf("wasm_exec.js: %d", r.StatusCode)
	}
	if r, _ := get("HEAD", "/m/w.bin", ""); r.StatusCode != 200 || r.ContentLength != 10 {
		t.Errorf("HEAD: %d, length %d", r.StatusCode, r.ContentLength)
	}
	if r, body := get("GET", "/m/w.bin", "bytes=2-5"); r.StatusCode != 206 || body != "2345" {
		t.Errorf("range: %d %q", r.StatusCode, body)
	}
	if r, _ := get("GET", "/m/nope", ""); r.StatusCode != 404 {
		t.Errorf("missing file: %d", r.StatusCode)
	}
}
