package headless

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
)

// runnerPage is the page every wasm program runs in. runGo starts a Go program (argv, env) and
// returns once it is running; __goDone resolves to its exit code when it exits.
const runnerPage = `<!doctype html>
<meta charset="utf-8"><title>cones wasm runner</title>
<script src="/wasm_exec.js"></script>
<script>
globalThis.runGo = async (url, argv, env) => {
  const go = new Go();
  go.argv = [url.split("/").pop(), ...argv];
  go.env = env;
  let code = 0;
  go.exit = (c) => { code = c; };
  const resp = await fetch(url);
  if (!resp.ok) throw new Error("fetch " + url + ": " + resp.status);
  const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
  globalThis.__goDone = go.run(instance).then(() => code, (e) => { console.error(String(e)); return 2; });
  return true;
};
</script>
`

// Server serves the runner page, wasm_exec.js, and mounted folders (http.FileServer, so Range
// requests, Content-Length and Last-Modified work as a real static server's would).
type Server struct {
	*httptest.Server
}

// NewServer serves each mounts[prefix] folder under /prefix/ (prefix without slashes).
func NewServer(mounts map[string]string) (*Server, error) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("headless: go env GOROOT: %w", err)
	}
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(runnerPage))
	})
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, wasmExec)
	})
	for prefix, dir := range mounts {
		p := "/" + strings.Trim(prefix, "/") + "/"
		mux.Handle(p, http.StripPrefix(p, http.FileServer(http.Dir(dir))))
	}
	return &Server{httptest.NewServer(noCache(mux))}, nil
}

// noCache keeps the fresh-profile browser from reusing a stale wasm binary between runs.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
