package jobs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cones2web/cones2/server/subject"
)

// An upload's photos are streamed to files in a staging folder of its own under the jobs
// folder (same file system: Submit renames them into the job), never held in memory: a request
// waiting for decoding memory holds a few kilobytes, not its photos. The folder is removed when
// the request ends; Open removes any a crash left.
const stagingPrefix = ".upload-"

type stagingKey struct{}

// staging gives each request a staging folder for its photos, in its context.
func (m *Manager) staging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dir, err := os.MkdirTemp(m.st.root, stagingPrefix+"*")
		if err != nil {
			m.log.Error("upload staging folder", "err", err)
			writeError(w, newError(http.StatusInternalServerError, "internal", "", "the server cannot store uploads right now"))
			return
		}
		defer os.RemoveAll(dir)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stagingKey{}, dir)))
	})
}

// removeStaging removes staging folders left by a crash (at Open, before any request).
func (s store) removeStaging() {
	entries, _ := os.ReadDir(s.root)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			os.RemoveAll(filepath.Join(s.root, e.Name()))
		}
	}
}

// imageErrors map a refused photo's problem to the API's status and code.
var imageErrors = map[subject.ImageProblem]struct {
	status int
	code   string
}{
	subject.ImageTooLarge:  {http.StatusRequestEntityTooLarge, "image_too_large"},
	subject.ImageFormat:    {http.StatusUnsupportedMediaType, "unsupported_format"},
	subject.ImageDimension: {http.StatusUnprocessableEntity, "image_dimensions"},
	subject.ImageCorrupt:   {http.StatusUnprocessableEntity, "image_corrupt"},
}

// readPhoto streams one file part to the request's staging folder within the byte limit,
// checks its header (format, dimensions), and only then decodes it, once the server-wide
// decoding budget grants the decode's memory, to prove its pixels are sound; the pixels are
// dropped at once. Waiting longer than Limits.DecodeWait for the budget refuses the upload with
// 503 and Retry-After.
func (m *Manager) readPhoto(ctx context.Context, part *multipart.Part, n int) (*Upload, *apiError) {
	lim := m.cfg.Limits.Image
	name := displayName(part.FileName(), n)
	field := fmt.Sprintf("%s[%d]", fieldImages, n-1)
	dir, _ := ctx.Value(stagingKey{}).(string)
	if dir == "" {
		return nil, newError(http.StatusInternalServerError, "internal", "", "the upload has no staging folder")
	}
	path := filepath.Join(dir, fmt.Sprintf("%d", n))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		m.log.Error("upload staging file", "err", err)
		return nil, newError(http.StatusInternalServerError, "internal", "", "the server cannot store uploads right now")
	}
	defer f.Close()
	size, err := io.Copy(f, io.LimitReader(part, lim.MaxBytes+1))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) { // the disk, not the body
			m.log.Error("upload staging file", "err", err)
			return nil, newError(http.StatusInternalServerError, "internal", "", "the server cannot store uploads right now")
		}
		return nil, bodyError(err)
	}
	refuse := func(err error) *apiError {
		var ie *subject.ImageError
		if errors.As(err, &ie) {
			e := imageErrors[ie.Problem]
			return newError(e.status, e.code, field, ie.Error())
		}
		return newError(http.StatusUnprocessableEntity, "image_corrupt", field, name+": "+err.Error())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, refuse(err)
	}
	h, err := subject.ImageHeader(name, bufio.NewReader(f), size, lim)
	if err != nil {
		return nil, refuse(err)
	}
	cost := h.DecodeCost()
	release, aerr := m.waitDecode(ctx, cost)
	if aerr != nil {
		return nil, aerr
	}
	defer release()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, refuse(err)
	}
	err = subject.CheckPixels(name, bufio.NewReader(f), h)
	collect(cost)
	if err != nil {
		return nil, refuse(err)
	}
	return &Upload{Image: Image{Name: name, Format: h.Format, Width: h.Width, Height: h.Height, Bytes: size}, Path: path}, nil
}

// waitDecode waits at most Limits.DecodeWait for n bytes of the decoding budget.
func (m *Manager) waitDecode(ctx context.Context, n int64) (func(), *apiError) {
	ctx, cancel := context.WithTimeoutCause(ctx, m.cfg.Limits.DecodeWait, errBusy)
	defer cancel()
	release, err := m.gate.acquire(ctx, n)
	switch {
	case errors.Is(err, errBusy):
		e := newError(http.StatusServiceUnavailable, "busy", "",
			"the server is decoding other uploads and has no memory to spare for this one; try again in a few seconds")
		e.retryAfter = retryBusy
		return nil, e
	case err != nil: // the client went away
		return nil, newError(http.StatusBadRequest, "bad_multipart", "", "the upload was interrupted")
	}
	return release, nil
}

// retryBusy is the Retry-After of a 503 busy (seconds): decodes take about a second each.
const retryBusy = 5

// collect runs the collector after a large decode, before its memory is given back to the
// budget: the pixels are garbage by then, and without it the heap grows to about twice the
// budget before the collector's own pacing frees them. Marking is cheap here: what stays live
// is small, or (a model's tensors) pointer-free.
func collect(cost int64) {
	if cost >= 32<<20 {
		runtime.GC()
	}
}
