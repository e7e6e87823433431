//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/cones2web/cones2/webgpu"
)

// fetch performs a fetch() of url, aborted when ctx ends (an AbortController, as
// net/http/roundtrip_js.go does), and returns the Response once its headers arrived.
func fetch(ctx context.Context, method, url string, header map[string]string) (js.Value, error) {
	ac := js.Global().Get("AbortController").New()
	init := map[string]any{"method": method, "signal": ac.Get("signal")}
	if len(header) > 0 {
		h := map[string]any{}
		for k, v := range header {
			h[k] = v
		}
		init["headers"] = h
	}
	stop := context.AfterFunc(ctx, func() { ac.Call("abort") })
	defer stop()
	resp, err := webgpu.Await(ctx, js.Global().Call("fetch", url, init))
	if err != nil {
		return js.Undefined(), fmt.Errorf("fetch %s: %w", url, err)
	}
	return resp, nil
}

// httpError describes a response status a person can act on.
func httpError(url string, status int) error {
	switch status {
	case 404:
		return fmt.Errorf("%s: not found on the server (404): %w", url, fs.ErrNotExist)
	case 416:
		return fmt.Errorf("%s: the server refused the byte range (416); is the file shorter than its header says?", url)
	}
	return fmt.Errorf("%s: server answered %d", url, status)
}

// httpFS is the model folder on the server as an fs.FS: Open asks for the size (HEAD), reads
// are Range requests, so weights.OpenFS and Folder.Weights read configs and safetensors headers
// without downloading the weights.
type httpFS struct {
	ctx  context.Context
	base string // URL of the folder, without trailing slash
	// listed, when not nil, holds every file the folder has (its manifest): others do not
	// exist, and asking the server about them would only log a 404.
	listed map[string]bool
}

// newHTTPFS is the folder at base; files, when not nil, are all the files it has.
func newHTTPFS(ctx context.Context, base string, files []string) httpFS {
	h := httpFS{ctx: ctx, base: base}
	if files != nil {
		h.listed = make(map[string]bool, len(files))
		for _, f := range files {
			h.listed[f] = true
		}
	}
	return h
}

func (h httpFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if h.listed != nil && !h.listed[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	url := h.base + "/" + name
	resp, err := fetch(h.ctx, "HEAD", url, nil)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if st := resp.Get("status").Int(); st != 200 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: httpError(url, st)}
	}
	size, err := strconv.ParseInt(resp.Get("headers").Call("get", "Content-Length").String(), 10, 64)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("no Content-Length: %w", err)}
	}
	return &httpFile{fs: h, name: name, url: url, size: size}, nil
}

type httpFile struct {
	fs   httpFS
	name string
	url  string
	size int64
	pos  int64
}

func (f *httpFile) Stat() (fs.FileInfo, error) { return fileInfo{f}, nil }
func (f *httpFile) Close() error               { return nil }

func (f *httpFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

// ReadAt fetches bytes [off, off+len(p)) with one Range request.
func (f *httpFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), f.size-off)
	if n == 0 {
		return 0, nil
	}
	resp, err := fetch(f.fs.ctx, "GET", f.url, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", off, off+n-1)})
	if err != nil {
		return 0, err
	}
	st := resp.Get("status").Int()
	if st != 206 && !(st == 200 && off == 0 && n == f.size) {
		return 0, httpError(f.url, st)
	}
	ab, err := webgpu.Await(f.fs.ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", f.url, err)
	}
	u8 := js.Global().Get("Uint8Array").New(ab)
	if int64(u8.Length()) != n {
		return 0, fmt.Errorf("%s: asked for %d bytes at %d, got %d", f.url, n, off, u8.Length())
	}
	js.CopyBytesToGo(p[:n], u8)
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

type fileInfo struct{ f *httpFile }

func (i fileInfo) Name() string       { return path.Base(i.f.name) }
func (i fileInfo) Size() int64        { return i.f.size }
func (i fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }

// folderURL resolves a model folder URL against the page.
func folderURL(u string) string {
	return strings.TrimRight(js.Global().Get("URL").New(u, js.Global().Get("location").Get("href")).Call("toString").String(), "/")
}
