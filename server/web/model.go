package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// modelFiles serves a model folder read-only. Paths are resolved inside an os.Root, so nothing
// outside the folder is reachable (no "..", no symlinks leading out). Responses support Range
// requests and conditional GETs, so the browser can fetch single tensors and resume downloads.
type modelFiles struct {
	dir  string
	root *os.Root
}

func openModelFiles(dir string) (*modelFiles, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("model folder: %w", err)
	}
	return &modelFiles{dir: dir, root: root}, nil
}

func (m *modelFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path
	if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) || path.Base(name)[0] == '.' {
		http.NotFound(w, r)
		return
	}
	f, err := m.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "model file unavailable", http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	// The weights may change when a user converts a new model into the same folder, so
	// revalidate instead of trusting a cached copy; the service worker keeps the offline copy.
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, st.ModTime(), f)
}
