//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/offline"
)

var caches = js.Global().Get("caches")

// hasCaches reports whether Cache Storage is available (it needs a secure context).
func hasCaches() bool { return caches.Truthy() }

// savedModel reports whether the model cache of the current manifest is complete.
func (a *app) savedModel(ctx context.Context) bool {
	if !hasCaches() || a.model.cacheName == "" {
		return false
	}
	c, err := await(ctx, caches.Call("open", a.model.cacheName))
	if err != nil {
		return false
	}
	hit, err := await(ctx, c.Call("match", offline.CompleteKey))
	return err == nil && hit.Truthy()
}

// saveModel downloads every file of the manifest into the model's cache, checking each one's
// size and SHA-256 as it streams in, and marks the cache complete only when all are there.
// Files verified by an earlier, interrupted run are kept. A file that fails its check is
// removed and the model stays unsaved, with a message naming the file.
func (a *app) saveModel(ctx context.Context, progress func(offline.Progress)) error {
	if !hasCaches() {
		return errors.New("this browser offers no Cache Storage here, so the model cannot be saved for offline use")
	}
	cache, err := await(ctx, caches.Call("open", a.model.cacheName))
	if err != nil {
		return fmt.Errorf("open the model cache: %w", err)
	}
	marks := map[string]string{}
	for _, f := range a.model.files {
		if hit, err := await(ctx, cache.Call("match", offline.VerifiedPrefix+f.Path)); err == nil && hit.Truthy() {
			if text, err := await(ctx, hit.Call("text")); err == nil {
				marks[f.Path] = text.String()
			}
		}
	}
	todo, done, total := offline.Plan(a.model.files, marks)
	if err := checkQuota(ctx, total-done); err != nil {
		return err
	}
	persist() // ask the browser not to evict the model under storage pressure
	p := offline.Progress{Done: done, Total: total}
	progress(p)
	for _, f := range todo {
		if err := downloadFile(ctx, cache, f, func(n int64) { progress(offline.Progress{Done: p.Done + n, Total: total}) }); err != nil {
			return err
		}
		p.Done += f.Size
		if _, err := await(ctx, cache.Call("put", offline.VerifiedPrefix+f.Path, textResponse(f.SHA256))); err != nil {
			return fmt.Errorf("save %s: %w", f.Path, err)
		}
	}
	if _, err := await(ctx, cache.Call("put", offline.ManifestURL, textResponse(string(a.model.manifestBytes)))); err != nil {
		return fmt.Errorf("save manifest: %w", err)
	}
	if _, err := await(ctx, cache.Call("put", offline.CompleteKey, textResponse(string(a.model.manifestBytes)))); err != nil {
		return fmt.Errorf("mark the model saved: %w", err)
	}
	progress(offline.Progress{Done: total, Total: total})
	return a.dropOtherModels(ctx)
}

// downloadFile streams one file from the server into the cache; the stream is split so the same
// bytes are hashed here while the cache stores them.
func downloadFile(ctx context.Context, cache js.Value, f offline.File, progress func(int64)) error {
	headers := js.Global().Get("Headers").New()
	headers.Call("set", offline.NetworkHeader, "1")
	resp, err := await(ctx, js.Global().Call("fetch", f.URL(), map[string]any{"headers": headers, "cache": "no-store"}))
	if err != nil {
		return fmt.Errorf("download %s: %w (is the server running?)", f.Path, err)
	}
	if !resp.Get("ok").Bool() {
		return fmt.Errorf("download %s: HTTP %d", f.Path, resp.Get("status").Int())
	}
	branches := resp.Get("body").Call("tee")
	stored := js.Global().Get("Response").New(branches.Index(0), map[string]any{
		"headers": map[string]any{
			"Content-Type":   resp.Get("headers").Call("get", "Content-Type"),
			"Content-Length": fmt.Sprint(f.Size),
		},
	})
	put := cache.Call("put", f.URL(), stored)
	v := offline.NewVerifier(f)
	reader := branches.Index(1).Call("getReader")
	for {
		chunk, err := await(ctx, reader.Call("read"))
		if err != nil {
			return fmt.Errorf("download %s: %w", f.Path, err)
		}
		if chunk.Get("done").Bool() {
			break
		}
		if _, err := v.Write(bytesOf(chunk.Get("value"))); err != nil {
			reader.Call("cancel")
			await(ctx, cache.Call("delete", f.URL()))
			return err
		}
		progress(v.Done())
	}
	if _, err := await(ctx, put); err != nil {
		return fmt.Errorf("save %s: %w", f.Path, quotaHint(err))
	}
	if err := v.Check(); err != nil {
		await(ctx, cache.Call("delete", f.URL()))
		return err
	}
	return nil
}

func textResponse(s string) js.Value { return js.Global().Get("Response").New(s) }

// dropOtherModels deletes the caches of other models (an older conversion, another model), now
// that this one is complete.
func (a *app) dropOtherModels(ctx context.Context) error {
	keys, err := await(ctx, caches.Call("keys"))
	if err != nil {
		return err
	}
	for i := range keys.Length() {
		name := keys.Index(i).String()
		if strings.HasPrefix(name, offline.CachePrefix) && name != a.model.cacheName {
			await(ctx, caches.Call("delete", name))
		}
	}
	return nil
}

// checkQuota refuses a download the browser has no room for, before it starts.
func checkQuota(ctx context.Context, need int64) error {
	storage := js.Global().Get("navigator").Get("storage")
	if !storage.Truthy() || !storage.Get("estimate").Truthy() {
		return nil
	}
	est, err := await(ctx, storage.Call("estimate"))
	if err != nil {
		return nil // no estimate: try, and report a quota error if it comes
	}
	free := int64(est.Get("quota").Float() - est.Get("usage").Float())
	if need > free {
		return fmt.Errorf("the model needs %s more storage and this browser allows this site %s; free some space or allow more storage for this site",
			library.HumanBytes(need), library.HumanBytes(free))
	}
	return nil
}

func persist() {
	storage := js.Global().Get("navigator").Get("storage")
	if storage.Truthy() && storage.Get("persist").Truthy() {
		storage.Call("persist")
	}
}

func quotaHint(err error) error {
	if strings.Contains(err.Error(), "Quota") {
		return fmt.Errorf("%w: the browser's storage for this site is full", err)
	}
	return err
}
