package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/html"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/minify/v2/json"
	"github.com/tdewolff/minify/v2/svg"
)

// asset is one static file, prepared once: minified, hashed and (when it helps) gzipped.
type asset struct {
	name  string
	ctype string
	body  []byte
	gzip  []byte // nil when compression does not pay
	hash  string // first 16 hex digits of sha256(body)
}

// assetSet holds the app shell. Templated files (index.html, sw.js) can refer to other assets
// by their content-hashed URL through the template function `asset`, and to the set's version.
type assetSet struct {
	files   map[string]*asset
	version string // hash over all files: the service worker's cache name
}

// templated files are rendered after every other asset is hashed.
var templated = []string{"index.html", "sw.js"}

func loadAssets(sources ...fs.FS) (*assetSet, error) {
	raw := map[string][]byte{}
	for _, src := range sources {
		err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(src, p)
			if err != nil {
				return err
			}
			raw[p] = b // later sources override earlier ones
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read assets: %w", err)
		}
	}
	m := newMinifier()
	set := &assetSet{files: map[string]*asset{}}
	for name, b := range raw {
		if slices.Contains(templated, name) {
			continue
		}
		a, err := prepare(m, name, b)
		if err != nil {
			return nil, err
		}
		set.files[name] = a
	}
	set.version = set.hashAll()
	for _, name := range templated {
		b, ok := raw[name]
		if !ok {
			continue
		}
		out, err := set.render(name, b)
		if err != nil {
			return nil, err
		}
		a, err := prepare(m, name, out)
		if err != nil {
			return nil, err
		}
		set.files[name] = a
	}
	return set, nil
}

func newMinifier() *minify.M {
	m := minify.New()
	m.AddFunc("text/html", html.Minify)
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("text/javascript", js.Minify)
	m.AddFunc("application/json", json.Minify)
	m.AddFunc("image/svg+xml", svg.Minify)
	return m
}

func prepare(m *minify.M, name string, b []byte) (*asset, error) {
	ctype := contentType(name)
	mediatype, _, _ := mime.ParseMediaType(ctype)
	if _, _, fn := m.Match(mediatype); fn != nil {
		min, err := m.Bytes(mediatype, b)
		if err != nil {
			return nil, fmt.Errorf("minify %s: %w", name, err)
		}
		b = min
	}
	sum := sha256.Sum256(b)
	a := &asset{name: name, ctype: ctype, body: b, hash: hex.EncodeToString(sum[:8])}
	if compressible(ctype) {
		a.gzip = gzipped(b)
	}
	return a, nil
}

func (s *assetSet) hashAll() string {
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s %s\n", n, s.files[n].hash)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// URL is the long-lived, content-hashed address of an asset.
func (s *assetSet) URL(name string) (string, error) {
	a, ok := s.files[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/app/" + a.hash + "/" + name, nil
}

// render expands a templated file: {{asset "style.css"}} is the file's hashed URL, {{version}}
// the build version, {{assets}} a JSON list of every hashed URL (for the service worker).
func (s *assetSet) render(name string, b []byte) ([]byte, error) {
	funcs := template.FuncMap{
		"asset":   s.URL,
		"version": func() string { return s.version },
		"assets":  s.urlList,
	}
	t, err := template.New(name).Funcs(funcs).Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, nil); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return out.Bytes(), nil
}

func (s *assetSet) urlList() (string, error) {
	var urls []string
	for name := range s.files {
		if slices.Contains(templated, name) {
			continue
		}
		u, err := s.URL(name)
		if err != nil {
			return "", err
		}
		urls = append(urls, `"`+u+`"`)
	}
	slices.Sort(urls)
	return "[" + strings.Join(urls, ",") + "]", nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") ||
		strings.Contains(ctype, "javascript") || ctype == "application/wasm" || ctype == "image/svg+xml"
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}
