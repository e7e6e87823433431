package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/cones2web/cones2/wasm/library"
)

// Describe is the sentence the progress line shows for a job.
func Describe(j Job) string {
	p := j.Progress
	switch j.State {
	case Queued:
		if j.Resumed > 0 {
			return fmt.Sprintf("Waiting to continue from step %d: %s.", j.Resumed, place(j.Position))
		}
		return "Waiting: " + place(j.Position) + "."
	case Running:
		if p.Step == 0 {
			if j.Resumed > 0 {
				return fmt.Sprintf("Continuing from step %d…", j.Resumed)
			}
			return fmt.Sprintf("Preparing %q: encoding the photos…", j.Word)
		}
		s := fmt.Sprintf("Step %d of %d · loss %.4f", p.Step, p.Steps, p.Loss)
		if p.StepsPerSecond > 0 {
			s += " · " + Rate(p.StepsPerSecond)
		}
		if p.ETASeconds > 0 {
			s += " · " + Duration(p.ETASeconds) + " left"
		}
		return s
	case Done:
		return fmt.Sprintf("Done: %d steps.", p.Steps)
	case Failed:
		return "Training failed: " + j.Error
	case Cancelled:
		return fmt.Sprintf("Cancelled at step %d of %d.", p.Step, p.Steps)
	case Interrupted:
		return "Interrupted: " + j.Error
	}
	return j.State
}

// place says where a queued job is.
func place(pos int) string {
	switch {
	case pos <= 1:
		return "next in line"
	case pos == 2:
		return "2nd in the queue"
	case pos == 3:
		return "3rd in the queue"
	}
	return fmt.Sprintf("%dth in the queue", pos)
}

// Rate is a step rate people read: "2.5 steps/s" or "40 s/step".
func Rate(stepsPerSecond float64) string {
	if stepsPerSecond >= 1 {
		return fmt.Sprintf("%.1f steps/s", stepsPerSecond)
	}
	return fmt.Sprintf("%.0f s/step", 1/stepsPerSecond)
}

// Duration is a rounded time: "40 s", "about 3 min", "about 2 h 5 min".
func Duration(seconds float64) string {
	s := int(math.Round(seconds))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", max(s, 1))
	case s < 3600:
		return fmt.Sprintf("about %d min", (s+30)/60)
	}
	m := (s + 30) / 60
	return fmt.Sprintf("about %d h %d min", m/60, m%60)
}

// Photo is a chosen file as the page sees it before reading it.
type Photo struct {
	Name string
	Type string // the browser's MIME type
	Size int64
}

// mimeFormats maps the browser's types to the server's format names.
var mimeFormats = map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}

// CheckPhotos checks the chosen photos against the server's limits before anything is
// uploaded; the server checks again (and reads the images' real dimensions).
func CheckPhotos(photos []Photo, lim Limits) error {
	var problems []string
	for _, p := range photos {
		f, ok := mimeFormats[p.Type]
		switch {
		case !ok || !contains(lim.Formats, f):
			problems = append(problems, fmt.Sprintf("%s is not a PNG, JPEG or WebP photo", p.Name))
		case p.Size > lim.MaxImageBytes:
			problems = append(problems, fmt.Sprintf("%s is %s, more than the %s a photo may have", p.Name,
				library.HumanBytes(p.Size), library.HumanBytes(lim.MaxImageBytes)))
		}
	}
	switch n := len(photos); {
	case n < lim.MinImages:
		problems = append(problems, fmt.Sprintf("%d photos chosen; choose %d to %d (3 to 5 sharp photos of the subject work best)", n, lim.MinImages, lim.MaxImages))
	case n > lim.MaxImages:
		problems = append(problems, fmt.Sprintf("%d photos chosen; at most %d", n, lim.MaxImages))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// CheckWord says whether a word can name a subject (the library's rule).
func CheckWord(w string) error { return library.CheckWord(w) }

// CheckSteps checks the steps field.
func CheckSteps(s string, lim Limits) (int, error) {
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(s) {
		return 0, fmt.Errorf("steps: %q is not a whole number", s)
	}
	if n < 1 || n > lim.MaxSteps {
		return 0, fmt.Errorf("steps: %d, the server trains 1 to %d steps", n, lim.MaxSteps)
	}
	return n, nil
}
