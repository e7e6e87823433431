package train

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Paths of the training API (server/jobs).
const (
	InfoURL = "/api/train/info"
	JobsURL = "/api/train"
)

// JobURL is a job's URL, suffix one of "", "/events", "/cancel", "/residual".
func JobURL(id, suffix string) string { return JobsURL + "/" + id + suffix }

// Info is GET /api/train/info.
type Info struct {
	Model struct {
		Family      string `json:"family"`
		Fingerprint string `json:"fingerprint"`
		Width       int    `json:"width"`
		Resolution  int    `json:"resolution"`
		Multiple    int    `json:"multiple"`
	} `json:"model"`
	// Defaults are what the server trains with when the form leaves an option out: the
	// served model's recommendations, which the form starts from.
	Defaults struct {
		Steps        int     `json:"steps"`
		LearningRate float64 `json:"lr"`
		Sentences    string  `json:"sentences"`
	} `json:"defaults"`
	Limits  Limits `json:"limits"`
	Workers int    `json:"workers"`
	Queued  int    `json:"queued"`
}

// Limits are the server's limits on an upload.
type Limits struct {
	MinImages     int      `json:"min_images"`
	MaxImages     int      `json:"max_images"`
	MaxImageBytes int64    `json:"max_image_bytes"`
	MaxSide       int      `json:"max_side"`
	MaxPixels     int      `json:"max_pixels"`
	Formats       []string `json:"formats"`
	MaxSteps      int      `json:"max_steps"`
}

// ParseInfo decodes and sanity-checks the info answer.
func ParseInfo(b []byte) (Info, error) {
	var in Info
	if err := json.Unmarshal(b, &in); err != nil {
		return Info{}, fmt.Errorf("the training server's answer is not understood: %w", err)
	}
	l := in.Limits
	if l.MinImages < 1 || l.MaxImages < l.MinImages || l.MaxImageBytes <= 0 || l.MaxSteps < 1 || in.Defaults.Steps < 1 {
		return Info{}, fmt.Errorf("the training server's limits are not usable (%d to %d photos, %d steps at most)", l.MinImages, l.MaxImages, l.MaxSteps)
	}
	return in, nil
}

// Job is a training job as the API shows it.
type Job struct {
	ID       string   `json:"id"`
	Word     string   `json:"word"`
	State    string   `json:"state"`
	Position int      `json:"position"`
	Progress Progress `json:"progress"`
	Resumed  int      `json:"resumed"`
	Error    string   `json:"error"`
	Residual string   `json:"residual"`
}

// Progress is a job's latest step.
type Progress struct {
	Step           int     `json:"step"`
	Steps          int     `json:"steps"`
	Loss           float64 `json:"loss"`
	StepsPerSecond float64 `json:"steps_per_second"`
	ETASeconds     float64 `json:"eta_seconds"`
}

// Job states.
const (
	Queued      = "queued"
	Running     = "running"
	Done        = "done"
	Failed      = "failed"
	Cancelled   = "cancelled"
	Interrupted = "interrupted"
)

var idPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ParseJob decodes a job (an API answer or an event's data); a job without a valid ID is refused
// so that no URL is ever built from a malformed answer.
func ParseJob(b []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return Job{}, fmt.Errorf("the training server's answer is not understood: %w", err)
	}
	if !idPattern.MatchString(j.ID) {
		return Job{}, fmt.Errorf("the training server answered with a job without a valid id (%q)", j.ID)
	}
	return j, nil
}

// Terminal reports whether the job has ended.
func (j Job) Terminal() bool {
	switch j.State {
	case Done, Failed, Cancelled, Interrupted:
		return true
	}
	return false
}

// Fraction is the progress bar's value, 0..1.
func (j Job) Fraction() float64 {
	if j.State == Done {
		return 1
	}
	if j.Progress.Steps <= 0 {
		return 0
	}
	return max(0, min(1, float64(j.Progress.Step)/float64(j.Progress.Steps)))
}

// APIError is a refusal from the server.
type APIError struct {
	Status  int
	Message string `json:"error"`
	Field   string `json:"field"`
	Code    string `json:"code"`
}

func (e *APIError) Error() string { return e.Message }

// ParseError reads a refusal's JSON body; a body that is not the API's (a proxy's error page)
// still gives a sentence with the status.
func ParseError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	if json.Unmarshal(body, e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("the training server answered %d %s", status, strings.ToLower(http.StatusText(status)))
	}
	return e
}

// ParseIDs reads the remembered job IDs (one a line), keeping only valid ones.
func ParseIDs(s string) []string {
	var out []string
	for _, id := range strings.Fields(s) {
		if idPattern.MatchString(id) && !contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
