package train

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/server/jobs"
)

// The page reads exactly what the server writes: a job marshalled by server/jobs decodes into
// the page's Job with every field the page uses.
func TestJobMatchesServer(t *testing.T) {
	now := time.Now()
	sj := jobs.Job{ID: "0123456789abcdef", Word: "dog", State: jobs.Running, Position: 0, Created: now, Started: &now,
		Progress: jobs.Progress{Step: 12, Steps: 3000, Loss: 0.125, StepsPerSecond: 0.5, ETASeconds: 5976},
		Resumed:  4, Error: "x", Residual: "/api/train/0123456789abcdef/residual"}
	b, err := json.Marshal(sj)
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseJob(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Job{ID: sj.ID, Word: "dog", State: Running, Progress: Progress{Step: 12, Steps: 3000, Loss: 0.125, StepsPerSecond: 0.5, ETASeconds: 5976},
		Resumed: 4, Error: "x", Residual: sj.Residual}
	if j != want {
		t.Errorf("decoded %+v, want %+v", j, want)
	}
	for _, s := range []jobs.State{jobs.Queued, jobs.Running, jobs.Done, jobs.Failed, jobs.Cancelled, jobs.Interrupted} {
		if (Job{State: string(s)}).Terminal() != s.Terminal() {
			t.Errorf("%s: terminal on the page %v, on the server %v", s, !s.Terminal(), s.Terminal())
		}
	}
	l := jobs.DefaultLimits()
	info, err := ParseInfo([]byte(`{"model": {"family": "sd2", "fingerprint": "ab", "width": 1024, "resolution": 512, "multiple": 64},
		"defaults": {"steps": 3000, "lr": 5e-6, "sentences": "official"}, "limits": {"min_images": 3, "max_images": 10, "max_image_bytes": 26214400,
		"formats": ["png", "jpeg", "webp"], "max_steps": 10000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := info.Defaults; d.Steps != 3000 || d.LearningRate != 5e-6 || d.Sentences != "official" {
		t.Errorf("defaults %+v", d)
	}
	if info.Limits.MaxImages != l.MaxImages || info.Limits.MinImages != l.MinImages || info.Limits.MaxImageBytes != l.Image.MaxBytes {
		t.Errorf("limits %+v, the server's defaults %+v", info.Limits, l)
	}
}

func TestParseRefusals(t *testing.T) {
	if _, err := ParseJob([]byte(`{"id": "../../etc", "state": "done"}`)); err == nil {
		t.Error("a job with a path for an id was accepted")
	}
	if _, err := ParseInfo([]byte(`{"limits": {"min_images": 0}}`)); err == nil {
		t.Error("unusable limits accepted")
	}
	e := ParseError(413, []byte(`{"error": "photo.png: 30000000 bytes", "field": "images[1]", "code": "image_too_large"}`))
	if e.Message != "photo.png: 30000000 bytes" || e.Field != "images[1]" || e.Code != "image_too_large" || e.Status != 413 {
		t.Errorf("%+v", e)
	}
	if e := ParseError(502, []byte("<html>bad gateway</html>")); e.Message != "the training server answered 502 bad gateway" {
		t.Errorf("%q", e.Message)
	}
	if got := ParseIDs("0123456789abcdef\n../x 0123456789abcdef fedcba9876543210"); strings.Join(got, ",") != "0123456789abcdef,fedcba9876543210" {
		t.Errorf("ids %v", got)
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		job  Job
		want string
	}{
		{Job{State: Queued, Position: 1}, "Waiting: next in line."},
		{Job{State: Queued, Position: 3}, "Waiting: 3rd in the queue."},
		{Job{State: Queued, Position: 7, Resumed: 100}, "Waiting to continue from step 100: 7th in the queue."},
		{Job{State: Running, Word: "dog"}, `Preparing "dog": encoding the photos…`},
		{Job{State: Running, Progress: Progress{Step: 12, Steps: 3000, Loss: 0.12345, StepsPerSecond: 0.5, ETASeconds: 5976}},
			"Step 12 of 3000 · loss 0.1235 · 2 s/step · about 1 h 40 min left"},
		{Job{State: Running, Progress: Progress{Step: 2, Steps: 4, Loss: 1, StepsPerSecond: 2.5, ETASeconds: 0.8}},
			"Step 2 of 4 · loss 1.0000 · 2.5 steps/s · 1 s left"},
		{Job{State: Done, Progress: Progress{Steps: 4}}, "Done: 4 steps."},
		{Job{State: Failed, Error: "photo 2: damaged"}, "Training failed: photo 2: damaged"},
		{Job{State: Cancelled, Progress: Progress{Step: 3, Steps: 9}}, "Cancelled at step 3 of 9."},
	} {
		if got := Describe(c.job); got != c.want {
			t.Errorf("%+v: %q, want %q", c.job, got, c.want)
		}
	}
	if f := (Job{State: Running, Progress: Progress{Step: 1, Steps: 4}}).Fraction(); f != 0.25 {
		t.Errorf("fraction %v", f)
	}
}

func TestCheckPhotos(t *testing.T) {
	lim := Limits{MinImages: 3, MaxImages: 4, MaxImageBytes: 1000, Formats: []string{"png", "jpeg", "webp"}, MaxSteps: 50}
	ok := []Photo{{"a.png", "image/png", 10}, {"b.jpg", "image/jpeg", 10}, {"c.webp", "image/webp", 10}}
	if err := CheckPhotos(ok, lim); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		photos []Photo
		want   string
	}{
		{ok[:2], "2 photos chosen; choose 3 to 4"},
		{append(ok, ok...), "6 photos chosen; at most 4"},
		{append(ok[:2:2], Photo{"d.gif", "image/gif", 10}), "d.gif is not a PNG, JPEG or WebP photo"},
		{append(ok[:2:2], Photo{"big.png", "image/png", 5000}), "big.png is 5.0 kB, more than the 1.0 kB a photo may have"},
	} {
		err := CheckPhotos(c.photos, lim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.photos, err, c.want)
		}
	}
	if _, err := CheckSteps("51", lim); err == nil {
		t.Error("51 steps accepted over a limit of 50")
	}
	if n, err := CheckSteps(" 7 ", lim); err != nil || n != 7 {
		t.Errorf("7 steps: %d %v", n, err)
	}
	if _, err := CheckSteps("7.5", lim); err == nil {
		t.Error("7.5 steps accepted")
	}
}
