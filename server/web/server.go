package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Options configures a Server.
type Options struct {
	// Assets are the app shell's sources, later ones overriding earlier ones (the embedded ui/
	// files, then the build folder holding the wasm program and its loader).
	Assets []fs.FS
	// ModelDir is the model folder served under /model/ (a diffusers layout, ideally converted
	// with `weights convert` so it carries a manifest with sha256 sums).
	ModelDir string
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
}

// Server serves the app shell and the model folder.
type Server struct {
	assets *assetSet
	model  *modelFiles
	log    *slog.Logger
	mux    *http.ServeMux
}

// New prepares every static file (minify, hash, compress) and opens the model folder.
func New(opts Options) (*Server, error) {
	assets, err := loadAssets(opts.Assets...)
	if err != nil {
		return nil, err
	}
	if _, ok := assets.files["index.html"]; !ok {
		return nil, errors.New("web: the assets hold no index.html")
	}
	s := &Server{assets: assets, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.ModelDir != "" {
		if s.model, err = openModelFiles(opts.ModelDir); err != nil {
			return nil, err
		}
		s.mux.Handle("GET /model/", http.StripPrefix("/model/", s.model))
	}
	s.mux.HandleFunc("GET /{$}", s.serveNamed("index.html"))
	s.mux.HandleFunc("GET /sw.js", s.serveNamed("sw.js"))
	s.mux.HandleFunc("GET /app/{hash}/{name...}", s.serveHashed)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok", s.assets.version)
	})
	return s, nil
}

// Version identifies this build of the app shell (the service worker's cache name).
func (s *Server) Version() string { return s.assets.version }

// Handle registers an extra handler (the API of later stages) behind the same middleware.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the whole site with security headers and request logging.
func (s *Server) Handler() http.Handler {
	return s.logRequests(securityHeaders(s.mux))
}

// ListenAndServe serves on addr until ctx is done, then shuts down gracefully, giving requests
// in flight up to ten seconds. ready, if not nil, receives the bound address (useful with ":0").
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// DirFS is os.DirFS that reports a missing folder as an error rather than at first use.
func DirFS(dir string) (fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	return os.DirFS(dir), nil
}
