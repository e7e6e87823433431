package train

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary server answers to the page's parsers: no panic, and anything
// accepted is usable (a job with a well-formed id, limits that allow a photo, a sentence).
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id": "0123456789abcdef", "state": "running", "progress": {"step": 1, "steps": 3, "loss": 0.5}}`))
	f.Add([]byte(`{"model": {}, "defaults": {"steps": 3}, "limits": {"min_images": 1, "max_images": 2, "max_image_bytes": 9, "max_steps": 5}}`))
	f.Add([]byte(`{"id": "../x"}`))
	f.Add([]byte(`{"error": "nope", "code": "x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if j, err := ParseJob(b); err == nil {
			if !idPattern.MatchString(j.ID) || strings.ContainsAny(JobURL(j.ID, ""), "?#.") {
				t.Fatalf("accepted id %q", j.ID)
			}
			_ = Describe(j)
			if f := j.Fraction(); f < 0 || f > 1 {
				t.Fatalf("fraction %v", f)
			}
		}
		if in, err := ParseInfo(b); err == nil && (in.Limits.MinImages < 1 || in.Limits.MaxImages < in.Limits.MinImages) {
			t.Fatalf("accepted limits %+v", in.Limits)
		}
		if e := ParseError(400, b); e.Message == "" {
			t.Fatal("a refusal without a message")
		}
		_ = ParseIDs(string(b))
	})
}
