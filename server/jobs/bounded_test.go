package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// fakeRunner trains nothing: Train is the test's.
type fakeRunner struct {
	train func(ctx context.Context, run Run) ([]byte, error)
}

func (f *fakeRunner) Model() (ModelInfo, error) {
	return ModelInfo{Family: "test", Fingerprint: "0123456789abcdef", Width: 8, Resolution: 64, Multiple: 8, Prediction: "epsilon"}, nil
}
func (f *fakeRunner) Recommended() (weights.Recommended, error) {
	return weights.OfficialRecommended(), nil
}
func (f *fakeRunner) Train(ctx context.Context, run Run) ([]byte, error) {
	return f.train(ctx, run)
}

// blockUntilStopped is a Train that waits for its job to be stopped.
func blockUntilStopped(ctx context.Context, _ Run) ([]byte, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	r1, err := b.acquire(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	// 50 more do not fit: the wait ends with the context, and nothing stays taken.
	short, cancel := context.WithTimeoutCause(ctx, 20*time.Millisecond, errBusy)
	defer cancel()
	if _, err := b.acquire(short, 50); !errors.Is(err, errBusy) {
		t.Fatalf("over the budget: %v, want errBusy", err)
	}
	if got := b.inUse(); got != 60 {
		t.Fatalf("in use %d after a timed-out wait, want 60", got)
	}
	// Waiters are served in order: a small request behind a large one waits for it.
	order := make(chan int, 2)
	go func() {
		r, _ := b.acquire(ctx, 80)
		order <- 80
		time.Sleep(10 * time.Millisecond)
		r()
	}()
	time.Sleep(10 * time.Millisecond) // the large one queues first
	go func() {
		r, _ := b.acquire(ctx, 30)
		order <- 30
		r()
	}()
	time.Sleep(10 * time.Millisecond)
	r1()
	r1() // twice is harmless
	if first, second := <-order, <-order; first != 80 || second != 30 {
		t.Errorf("granted %d then %d, want the first waiter first", first, second)
	}
	// More than the whole budget is capped to it: such a photo still runs, alone.
	r, err := b.acquire(ctx, 1000)
	if err != nil || b.inUse() != 100 {
		t.Fatalf("oversized request: %v, in use %d", err, b.inUse())
	}
	r()
	if b.inUse() != 0 {
		t.Errorf("in use %d at the end", b.inUse())
	}
}

// TestUploadBusy: with the decoding budget taken, an upload waits Limits.DecodeWait and is then
// refused with 503, code busy and a short Retry-After; no job and no staged photo remain.
func TestUploadBusy(t *testing.T) {
	dir := t.TempDir()
	lim := DefaultLimits()
	lim.DecodeBytes, lim.DecodeWait = 64<<20, 200*time.Millisecond
	s := startService(t, dir, Config{Runner: &fakeRunner{train: blockUntilStopped}, Limits: lim})
	release, err := s.m.gate.acquire(context.Background(), lim.DecodeBytes)
	if err != nil {
		t.Fatal(err)
	}
	ct, body := newForm(t, "dog", 2, 3).body(t)
	req, _ := http.NewRequest("POST", s.url+"/api/train", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ct)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != fmt.Sprint(retryBusy) {
		t.Fatalf("status %d, Retry-After %q; want 503 and %d", resp.StatusCode, resp.Header.Get("Retry-After"), retryBusy)
	}
	if d := time.Since(start); d < lim.DecodeWait || d > 5*time.Second {
		t.Errorf("refused after %v, want about %v", d, lim.DecodeWait)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the jobs folder holds %d entries after a refused upload", len(entries))
	}
	// With the budget free again the same upload is taken, and the budget is all given back.
	release()
	j := s.submit(newForm(t, "dog", 2, 3))
	if got := s.m.gate.inUse(); got != 0 {
		t.Errorf("%d bytes of the budget still taken after the upload", got)
	}
	s.do("POST", "/api/train/"+j.ID+"/cancel", "", nil, nil)
}

// TestStagingCleared: staging folders a crash left behind are removed at Open.
func TestStagingCleared(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, stagingPrefix+"123")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(left, "1"), []byte("half a photo"), 0o644)
	m, err := Open(Config{Dir: dir, Runner: &fakeRunner{train: blockUntilStopped}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging folder left: %v", err)
	}
}

// TestErrorsHideServerPaths: the 503 model_unavailable body and a failed job's error name no
// folder of the server (issue 15: they showed the model's and the jobs' paths).
func TestErrorsHideServerPaths(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(t.TempDir(), "models", "sd21")
	s := startService(t, dir, Config{Runner: &PipelineRunner{Dir: model, Limits: subject.DefaultImageLimits()}})
	var e apiError
	if code := s.do("GET", "/api/train/info", "", nil, &e); code != http.StatusServiceUnavailable || e.Code != "model_unavailable" {
		t.Fatalf("info on a missing model: %d %+v", code, e)
	}
	if strings.Contains(e.Message, model) || strings.Contains(e.Message, "/models/") || strings.Contains(e.Message, os.TempDir()) {
		t.Errorf("model_unavailable shows a server path: %q", e.Message)
	}

	failing := &fakeRunner{train: func(ctx context.Context, run Run) ([]byte, error) {
		_, err := os.ReadFile(filepath.Join(filepath.Dir(run.Images[0]), "missing.png"))
		return nil, fmt.Errorf("photo 1: %w", err)
	}}
	dir2 := t.TempDir()
	s2 := startService(t, dir2, Config{Runner: failing})
	j := s2.waitEnd(s2.submit(newForm(t, "dog", 2, 3)).ID)
	if j.State != Failed || j.Error == "" {
		t.Fatalf("job %s %q, want failed", j.State, j.Error)
	}
	if strings.Contains(j.Error, dir2) || strings.Contains(j.Error, os.TempDir()) {
		t.Errorf("a failed job's error shows a server path: %q", j.Error)
	}
	if !strings.Contains(j.Error, "missing.png") {
		t.Errorf("the error lost what failed: %q", j.Error)
	}
}

func TestScrubPaths(t *testing.T) {
	for in, want := range map[string]string{
		"open /srv/data/jobs/ab/images/1.png: no such file": "open …/1.png: no such file",
		`model folder "/home/me/models/sd": bad`:            `model folder "…/sd": bad`,
		"steps 10/20, lr 1e-5":                              "steps 10/20, lr 1e-5",
		"send multipart/form-data":                          "send multipart/form-data",
	} {
		if got := scrubPaths(in); got != want {
			t.Errorf("scrubPaths(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResumeKeepsStarted: a job resumed after a restart keeps the time it first started, and
// its progress is the checkpoint's step with no loss or time left from the steps after it
// (issue 15: started was overwritten, and the old step showed with the later loss and ETA).
func TestResumeKeepsStarted(t *testing.T) {
	dir := t.TempDir()
	id := "0123456789abcdef"
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	j := Job{ID: id, Word: "dog", State: Running, Created: started.Add(-time.Minute), Started: &started,
		Options:    apiOptions(subject.Defaults()),
		Images:     []Image{{Name: "a.png", Format: "png", Width: 8, Height: 8, Bytes: 10}},
		Checkpoint: 4, Progress: Progress{Step: 7, Steps: 10, Loss: 0.5, MSE: 0.4, StepsPerSecond: 2, ETASeconds: 30}}
	if err := os.MkdirAll(filepath.Join(dir, id, imagesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	writeJob(t, filepath.Join(dir, id), j)
	os.WriteFile(filepath.Join(dir, id, checkpointFile), []byte("state"), 0o644)
	m, err := Open(Config{Dir: dir, Runner: &fakeRunner{train: blockUntilStopped}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err := m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Running || got.Resumed != 4 {
		t.Errorf("state %s, resumed %d; want running from 4", got.State, got.Resumed)
	}
	if got.Started == nil || !got.Started.Equal(started) {
		t.Errorf("started %v, want the original %v", got.Started, started)
	}
	if want := (Progress{Step: 4, Steps: 10}); got.Progress != want {
		t.Errorf("progress %+v, want %+v", got.Progress, want)
	}
}
