//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"syscall/js"
	"time"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/wasm/offline"
)

// fetchBytes GETs a same-origin URL. The service worker answers from the saved model when the
// server is away; network skips the saved copy (it belongs to another model than the server's).
func fetchBytes(ctx context.Context, url string, max int64, network bool) ([]byte, error) {
	resp, err := await(ctx, js.Global().Call("fetch", url, fetchOptions(network, "")))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.Get("status").Int())
	}
	if n := resp.Get("headers").Call("get", "Content-Length"); !n.IsNull() {
		if size := js.Global().Call("Number", n).Float(); size > float64(max) {
			return nil, fmt.Errorf("fetch %s: %d bytes, more than the %d expected", url, int64(size), max)
		}
	}
	buf, err := await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	return bytesOf(buf), nil
}

// fetchOptions builds fetch's init: a Range header when rng is set, and the header that makes
// the service worker go to the network when network is set.
func fetchOptions(network bool, rng string) js.Value {
	headers := js.Global().Get("Headers").New()
	if network {
		headers.Call("set", offline.NetworkHeader, "1")
	}
	if rng != "" {
		headers.Call("set", "Range", rng)
	}
	return js.ValueOf(map[string]any{"headers": headers})
}

// memFS is a read-only file system of files held in memory: the tokenizer reads its folder
// through io/fs, and in the browser that folder arrives by fetch.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), name: path.Base(name), size: int64(len(b))}, nil
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }

// fetchTokenizer loads the model's tokenizer folder. tokenizer_config.json is optional.
func fetchTokenizer(ctx context.Context, network bool) (*tokenizer.Tokenizer, error) {
	files := memFS{}
	for _, name := range []string{tokenizer.VocabFile, tokenizer.MergesFile, tokenizer.SpecialTokensFile, tokenizer.ConfigFile} {
		b, err := fetchBytes(ctx, offline.ModelBase+"tokenizer/"+name, 64<<20, network)
		if err != nil {
			if name == tokenizer.ConfigFile {
				continue
			}
			return nil, err
		}
		files["tokenizer/"+name] = b
	}
	return tokenizer.LoadFS(files, "tokenizer")
}

func (a *app) loadTokenizer() {
	tok, err := fetchTokenizer(a.ctx, a.model.fresh())
	if err != nil {
		message(a.el.promptMessage, "The tokenizer could not be loaded, so subject words cannot be marked: "+err.Error(), true)
		return
	}
	a.tok = tok
	a.analyzePrompt()
}
