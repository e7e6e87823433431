package jobs

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// FuzzUpload feeds arbitrary bodies to the upload parser as multipart requests: it must never
// panic, and must either refuse with a 4xx naming a code or return a request that meets every
// limit.
func FuzzUpload(f *testing.F) {
	lim := Limits{MinImages: 1, MaxImages: 3, Image: subject.ImageLimits{MaxBytes: 4 << 10, MaxSide: 64, MaxPixels: 4096},
		MaxSteps: 20, MaxResolution: 128}
	lim.DecodeBytes, lim.DecodeWait = 1<<20, time.Second
	m := &Manager{cfg: Config{Limits: lim}, gate: newBudget(lim.DecodeBytes)}
	staging := f.TempDir()
	defaults := subject.Defaults()
	defaults.Steps = 5
	const boundary = "fuzzboundary"
	seed := func(fields map[string]string, photos ...[]byte) []byte {
		fm := &form{fields: fields}
		for i, p := range photos {
			fm.files = append(fm.files, formFile{"images", fmt.Sprintf("p%d.png", i), p})
		}
		_, body := fm.body(f)
		// Re-frame with the fixed boundary the fuzz requests declare.
		start := bytes.Index(body, []byte("--"))
		end := bytes.Index(body[start:], []byte("\r\n"))
		old := body[start+2 : start+end]
		return bytes.ReplaceAll(body, old, []byte(boundary))
	}
	f.Add(seed(map[string]string{"word": "dog", "steps": "3"}, photo(f, 1, 8, 8)))
	f.Add(seed(map[string]string{"word": "dog", "lr": "nan"}, photo(f, 2, 8, 8), pngClaiming(9999, 9999)))
	f.Add(seed(map[string]string{"word": "two words"}))
	f.Add([]byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"images\"; filename=\"../../x\"\r\n\r\nGIF89a\r\n--" + boundary + "--\r\n"))
	f.Add([]byte("not multipart at all"))
	model := ModelInfo{Multiple: 32}
	f.Fuzz(func(t *testing.T, body []byte) {
		dir, err := os.MkdirTemp(staging, "req")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		r := httptest.NewRequest("POST", "/api/train", bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), stagingKey{}, dir))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		w := httptest.NewRecorder()
		req, aerr := m.parseUpload(w, r, model, defaults, weights.OfficialRecommended())
		if aerr != nil {
			if aerr.Status < 400 || aerr.Status >= 500 || aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("refusal %+v", aerr)
			}
			return
		}
		if req.word == "" || len(req.photos) < lim.MinImages || len(req.photos) > lim.MaxImages || req.opts.Steps > lim.MaxSteps {
			t.Fatalf("accepted %q with %d photos, %d steps", req.word, len(req.photos), req.opts.Steps)
		}
		if err := subject.CheckWord(req.word); err != nil {
			t.Fatalf("accepted word %q: %v", req.word, err)
		}
		for _, p := range req.photos {
			st, err := os.Stat(p.Path)
			if err != nil || st.Size() != p.Bytes {
				t.Fatalf("staged photo %+v: %v", p, err)
			}
			if p.Width > lim.Image.MaxSide || p.Height > lim.Image.MaxSide || p.Bytes > lim.Image.MaxBytes {
				t.Fatalf("accepted photo %+v", p.Image)
			}
			if p.Format != "png" && p.Format != "jpeg" && p.Format != "webp" {
				t.Fatalf("format %q", p.Format)
			}
		}
	})
}
