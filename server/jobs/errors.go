package jobs

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is a refusal as the API sends it: a status and a JSON body naming the problem.
type apiError struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"` // the form field or file at fault
	Code    string `json:"code"`            // stable, for programs: too_many_images, image_dimensions, ...
	// retryAfter is the Retry-After (seconds) of a 503; 0: 60.
	retryAfter int
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, code, field, msg string) *apiError {
	return &apiError{Status: status, Code: code, Field: field, Message: msg}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	e.Message = scrubPaths(e.Message)
	if e.Status == http.StatusServiceUnavailable {
		after := 60
		if e.retryAfter > 0 {
			after = e.retryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(after))
	}
	writeJSON(w, e.Status, e)
}
