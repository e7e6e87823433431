package jobs

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// Mount registers the API's routes with handle (web.Server's Handle, behind its logging and
// security middleware).
func (m *Manager) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /api/train/info", http.HandlerFunc(m.serveInfo))
	handle("POST /api/train", sameOrigin(m.staging(http.HandlerFunc(m.serveSubmit))))
	handle("GET /api/train", http.HandlerFunc(m.serveList))
	handle("GET /api/train/{id}", m.withID(m.serveJob))
	handle("GET /api/train/{id}/events", m.withID(m.serveEvents))
	handle("POST /api/train/{id}/cancel", sameOrigin(m.withID(m.serveCancel)))
	handle("DELETE /api/train/{id}", sameOrigin(m.withID(m.serveDelete)))
	handle("GET /api/train/{id}/residual", m.withID(m.serveResidual))
}

// sameOrigin refuses requests that change jobs when another site's page sends them: a
// multipart POST needs no CORS preflight, so without this any page a person visits could queue
// training on their server. Browsers say where a request comes from (Sec-Fetch-Site, Origin);
// programs such as curl send neither and are let through.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site := r.Header.Get("Sec-Fetch-Site")
		origin := r.Header.Get("Origin")
		cross := site == "cross-site" || site == "same-site"
		if origin != "" && origin != "null" {
			if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
				cross = true
			}
		} else if origin == "null" {
			cross = true
		}
		if cross {
			writeError(w, newError(http.StatusForbidden, "cross_origin", "", "training requests are only taken from this server's own page"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withID checks the path's job ID before anything else sees it: only IDs of the server's own
// shape reach the store, so no request can name a path.
func (m *Manager) withID(fn func(http.ResponseWriter, *http.Request, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !idPattern.MatchString(id) {
			writeError(w, newError(http.StatusNotFound, "not_found", "id", fmt.Sprintf("no training job %q", clip(id))))
			return
		}
		fn(w, r, id)
	})
}

// info is GET /api/train/info: what the page needs before it offers training.
type info struct {
	Model    ModelInfo `json:"model"`
	Defaults Options   `json:"defaults"`
	Limits   struct {
		MinImages     int      `json:"min_images"`
		MaxImages     int      `json:"max_images"`
		MaxImageBytes int64    `json:"max_image_bytes"`
		MaxSide       int      `json:"max_side"`
		MaxPixels     int      `json:"max_pixels"`
		Formats       []string `json:"formats"`
		MaxSteps      int      `json:"max_steps"`
		MaxResolution int      `json:"max_resolution"`
	} `json:"limits"`
	Sentences []string `json:"sentences"`
	Workers   int      `json:"workers"`
	Queued    int      `json:"queued"`
}

func (m *Manager) serveInfo(w http.ResponseWriter, r *http.Request) {
	model, err := m.cfg.Runner.Model()
	if err != nil {
		writeError(w, newError(http.StatusServiceUnavailable, "model_unavailable", "", "the training model cannot be read: "+m.public(err)))
		return
	}
	defaults, rec, err := m.defaults()
	if err != nil {
		writeError(w, newError(http.StatusServiceUnavailable, "model_unavailable", "", "the model's recommended settings cannot be read: "+m.public(err)))
		return
	}
	var in info
	in.Model, in.Defaults, in.Workers = model, apiOptions(defaults), m.cfg.Workers
	l := m.cfg.Limits
	in.Limits.MinImages, in.Limits.MaxImages, in.Limits.MaxImageBytes = l.MinImages, l.MaxImages, l.Image.MaxBytes
	in.Limits.MaxSide, in.Limits.MaxPixels, in.Limits.Formats = l.Image.MaxSide, l.Image.MaxPixels, subject.Formats
	in.Limits.MaxSteps, in.Limits.MaxResolution = l.MaxSteps, l.MaxResolution
	in.Sentences = sentenceSets(rec)
	m.mu.Lock()
	in.Queued = len(m.queue)
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, in)
}

// sentenceSets are the sentence sets a request may name for this model: "model" only when the
// folder recommends sentences of its own.
func sentenceSets(rec weights.Recommended) []string {
	var out []string
	for _, name := range subject.SentenceSets() {
		if name != subject.ModelSentences || len(rec.Training.Sentences) > 0 {
			out = append(out, name)
		}
	}
	return out
}

func (m *Manager) serveSubmit(w http.ResponseWriter, r *http.Request) {
	model, err := m.cfg.Runner.Model()
	if err != nil {
		writeError(w, newError(http.StatusServiceUnavailable, "model_unavailable", "", "the training model cannot be read: "+m.public(err)))
		return
	}
	defaults, rec, err := m.defaults()
	if err != nil {
		writeError(w, newError(http.StatusServiceUnavailable, "model_unavailable", "", "the model's recommended settings cannot be read: "+m.public(err)))
		return
	}
	req, aerr := m.parseUpload(w, r, model, defaults, rec)
	if aerr != nil {
		// Leave nothing of a refused upload unread-but-pending: the connection is closed.
		w.Header().Set("Connection", "close")
		writeError(w, aerr)
		return
	}
	j, err := m.Submit(req.word, req.opts, req.photos)
	switch {
	case errors.Is(err, ErrQueueFull):
		writeError(w, newError(http.StatusServiceUnavailable, "queue_full", "",
			fmt.Sprintf("%d jobs are already waiting or training; try again later", m.cfg.MaxActive)))
	case errors.Is(err, ErrClosed):
		writeError(w, newError(http.StatusServiceUnavailable, "shutting_down", "", err.Error()))
	case err != nil:
		writeError(w, newError(http.StatusInternalServerError, "internal", "", m.public(err)))
	default:
		w.Header().Set("Location", "/api/train/"+j.ID)
		writeJSON(w, http.StatusAccepted, j)
	}
}

func (m *Manager) serveList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Jobs []Job `json:"jobs"`
	}{m.List()})
}

func (m *Manager) serveJob(w http.ResponseWriter, r *http.Request, id string) {
	j, err := m.Get(id)
	if err != nil {
		writeError(w, jobError(err, id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (m *Manager) serveCancel(w http.ResponseWriter, r *http.Request, id string) {
	j, err := m.Cancel(id)
	if err != nil {
		writeError(w, jobError(err, id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (m *Manager) serveDelete(w http.ResponseWriter, r *http.Request, id string) {
	if err := m.Delete(id); err != nil {
		writeError(w, jobError(err, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (m *Manager) serveResidual(w http.ResponseWriter, r *http.Request, id string) {
	path, j, err := m.ResidualPath(id)
	if err != nil {
		writeError(w, jobError(err, id))
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		writeError(w, newError(http.StatusInternalServerError, "internal", "", "the residual file cannot be read: "+m.public(err)))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": j.Word + ".safetensors"}))
	h.Set("Cache-Control", "no-store")
	w.Write(data)
}

// jobError maps the manager's errors to the API's.
func jobError(err error, id string) *apiError {
	switch {
	case errors.Is(err, ErrNotFound):
		return newError(http.StatusNotFound, "not_found", "id", fmt.Sprintf("no training job %s", id))
	case errors.Is(err, ErrFinished):
		return newError(http.StatusConflict, "finished", "id", "the job has already finished; there is nothing to cancel")
	case errors.Is(err, ErrActive):
		return newError(http.StatusConflict, "active", "id", err.Error())
	case errors.Is(err, ErrNotDone):
		return newError(http.StatusConflict, "not_done", "id", err.Error())
	}
	return newError(http.StatusInternalServerError, "internal", "", err.Error())
}
