package web

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// serveNamed serves an asset at a fixed, unhashed address (the page and the service worker):
// browsers must revalidate these every time so a new build is picked up.
func (s *Server) serveNamed(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.assets.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeAsset(w, r, a)
	}
}

// serveHashed serves /app/<hash>/<name>. The hash pins the content, so the response may be cached
// for a year; a stale hash (an old page asking after a new deploy) is a 404, never other bytes.
func (s *Server) serveHashed(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets.files[r.PathValue("name")]
	if !ok || a.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	writeAsset(w, r, a)
}

func writeAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", `"`+a.hash+`"`)
	h.Add("Vary", "Accept-Encoding")
	body := a.body
	if a.gzip != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		// A distinct ETag per encoding keeps caches from mixing the two bodies.
		h.Set("ETag", `"`+a.hash+`-gz"`)
		body = a.gzip
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
