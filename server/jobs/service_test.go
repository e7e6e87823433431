package jobs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/server/web"
	"github.com/cones2web/cones2/ui"
)

// runners holds one PipelineRunner per fixture model for the test binary: the model loads once.
var runners sync.Map

func testRunner(t testing.TB) *PipelineRunner {
	t.Helper()
	v := fixture.Variants(t)[0]
	r, _ := runners.LoadOrStore(v.Dir, &PipelineRunner{Dir: v.Dir, Limits: subject.DefaultImageLimits()})
	return r.(*PipelineRunner)
}

// service is a Manager on a temporary data folder behind the real web server.
type service struct {
	t   *testing.T
	m   *Manager
	dir string
	url string
}

func startService(t *testing.T, dir string, cfg Config) *service {
	t.Helper()
	cfg.Dir = dir
	if cfg.Runner == nil {
		cfg.Runner = testRunner(t)
	}
	m, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The page's build outputs are not needed by the API: stand-ins let the page template render.
	build := fstest.MapFS{"app.wasm": {Data: []byte("\x00asm")}, "wasm_exec.js": {Data: []byte("// loader")}}
	srv, err := web.New(web.Options{Assets: []fs.FS{ui.Files, build}})
	if err != nil {
		t.Fatal(err)
	}
	m.Mount(srv.Handle)
	hs := httptest.NewServer(srv.Handler())
	s := &service{t: t, m: m, dir: dir, url: hs.URL}
	t.Cleanup(func() { hs.Close(); m.Close() })
	return s
}

// photo is a small PNG that differs by seed.
func photo(t testing.TB, seed, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*255/w + seed*40), uint8(y*255/h + seed*70), uint8(seed * 90), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// form is a training request: fields, then files under "images" (or the given field).
type form struct {
	fields map[string]string
	files  []formFile
}

type formFile struct {
	field, name string
	data        []byte
}

func newForm(t testing.TB, word string, steps int, photos int) *form {
	f := &form{fields: map[string]string{"word": word, "steps": fmt.Sprint(steps), "resolution": "64", "lr": "0.001"}}
	for i := range photos {
		f.files = append(f.files, formFile{"images", fmt.Sprintf("photo-%d.png", i), photo(t, i, 96, 80)})
	}
	return f
}

func (f *form) body(t testing.TB) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range f.fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range f.files {
		w, err := mw.CreateFormFile(file.field, file.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(file.data)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (s *service) do(method, path, contentType string, body []byte, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (s *service) submit(f *form) Job {
	s.t.Helper()
	ct, body := f.body(s.t)
	var j Job
	if code := s.do("POST", "/api/train", ct, body, &j); code != http.StatusAccepted {
		s.t.Fatalf("submit: status %d, %+v", code, j)
	}
	return j
}

func (s *service) job(id string) Job {
	s.t.Helper()
	var j Job
	if code := s.do("GET", "/api/train/"+id, "", nil, &j); code != http.StatusOK {
		s.t.Fatalf("get %s: status %d", id, code)
	}
	return j
}

// waitJob polls a job until cond holds.
func (s *service) waitJob(id, what string, cond func(Job) bool) Job {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		j := s.job(id)
		if cond(j) {
			return j
		}
		if j.State.Terminal() || time.Now().After(deadline) {
			s.t.Fatalf("job %s: gave up waiting for %s: %+v", id, what, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *service) waitEnd(id string) Job {
	return s.waitJob(id, "the end", func(j Job) bool { return j.State.Terminal() })
}

func (s *service) residual(id string) []byte {
	s.t.Helper()
	resp, err := http.Get(s.url + "/api/train/" + id + "/residual")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("residual %s: %d %s", id, resp.StatusCode, data)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, ".safetensors") {
		s.t.Errorf("Content-Disposition %q", cd)
	}
	return data
}

// TestQueue: one worker; jobs wait in order with their positions, a queued job can be
// cancelled (the ones behind it move up), and jobs run one after another to a residual made
// for the served model.
func TestQueue(t *testing.T) {
	s := startService(t, t.TempDir(), Config{Workers: 1})
	a := s.submit(newForm(t, "dog", 3, 3))
	b := s.submit(newForm(t, "cat", 2, 3))
	c := s.submit(newForm(t, "mug", 2, 3))
	if a.State != Running || b.State != Queued || b.Position != 1 || c.Position != 2 {
		t.Fatalf("after three submissions: %s %s/%d %s/%d", a.State, b.State, b.Position, c.State, c.Position)
	}
	var list struct{ Jobs []Job }
	s.do("GET", "/api/train", "", nil, &list)
	if len(list.Jobs) != 3 || list.Jobs[0].ID != c.ID {
		t.Errorf("list: %d jobs, newest first want %s", len(list.Jobs), c.ID)
	}
	var cancelled Job
	if code := s.do("POST", "/api/train/"+b.ID+"/cancel", "", nil, &cancelled); code != http.StatusOK || cancelled.State != Cancelled {
		t.Fatalf("cancel queued: %d %+v", code, cancelled)
	}
	if got := s.job(c.ID); got.State == Queued && got.Position != 1 {
		t.Errorf("after cancelling the job ahead, position %d, want 1", got.Position)
	}
	ja, jc := s.waitEnd(a.ID), s.waitEnd(c.ID)
	if ja.State != Done || jc.State != Done {
		t.Fatalf("states %s (%s) and %s (%s)", ja.State, ja.Error, jc.State, jc.Error)
	}
	if !jc.Started.After(*ja.Finished) && !jc.Started.Equal(*ja.Finished) {
		t.Errorf("the second job started at %v, before the first finished at %v", jc.Started, ja.Finished)
	}
	if ja.Progress.Step != 3 || ja.Progress.StepsPerSecond <= 0 {
		t.Errorf("progress %+v", ja.Progress)
	}
	info := s.info()
	r, err := residual.Load(s.residual(a.ID), residual.Model{Family: info.Model.Family, TextEncoder: info.Model.Fingerprint}, info.Model.Width)
	if err != nil {
		t.Fatal(err)
	}
	if r.Word != "dog" || r.Training["steps"] != "3" || r.Training["sentences"] != "official" || r.Training["resolution"] != "64" {
		t.Errorf("residual %q with settings %v", r.Word, r.Training)
	}
	// A cancelled job has no residual; a finished one cannot be cancelled, a running one not deleted.
	var e apiError
	if code := s.do("GET", "/api/train/"+b.ID+"/residual", "", nil, &e); code != http.StatusConflict || e.Code != "not_done" {
		t.Errorf("residual of a cancelled job: %d %+v", code, e)
	}
	if code := s.do("POST", "/api/train/"+a.ID+"/cancel", "", nil, &e); code != http.StatusConflict || e.Code != "finished" {
		t.Errorf("cancel a finished job: %d %+v", code, e)
	}
	if code := s.do("DELETE", "/api/train/"+a.ID, "", nil, nil); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if _, err := os.Stat(filepath.Join(s.dir, a.ID)); !os.IsNotExist(err) {
		t.Errorf("the deleted job's folder remains: %v", err)
	}
	if code := s.do("GET", "/api/train/"+a.ID, "", nil, &e); code != http.StatusNotFound {
		t.Errorf("a deleted job: %d", code)
	}
}

func (s *service) info() info {
	s.t.Helper()
	var in info
	if code := s.do("GET", "/api/train/info", "", nil, &in); code != http.StatusOK {
		s.t.Fatalf("info: %d", code)
	}
	return in
}

// TestCancelRunning: a running job stops at the next step, keeps no checkpoint and has no
// residual; while it ran, it saved checkpoints by time and a full queue refused more work.
func TestCancelRunning(t *testing.T) {
	// Checkpoints by time (any time at all here): the job has one before it is cancelled.
	s := startService(t, t.TempDir(), Config{Workers: 1, MaxActive: 1, CheckpointInterval: time.Nanosecond})
	j := s.submit(newForm(t, "dog", 500, 3))
	s.waitJob(j.ID, "two steps and a checkpoint", func(j Job) bool { return j.Progress.Step >= 2 && j.Checkpoint >= 1 })
	ct, body := newForm(t, "cat", 2, 3).body(t)
	var e apiError
	if code := s.do("POST", "/api/train", ct, body, &e); code != http.StatusServiceUnavailable || e.Code != "queue_full" {
		t.Errorf("a submission over the queue limit: %d %+v", code, e)
	}
	var got Job
	if code := s.do("POST", "/api/train/"+j.ID+"/cancel", "", nil, &got); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	end := s.waitEnd(j.ID)
	if end.State != Cancelled || end.Progress.Step >= 500 {
		t.Errorf("after cancelling: %s at step %d", end.State, end.Progress.Step)
	}
	if _, err := os.Stat(filepath.Join(s.dir, j.ID, checkpointFile)); !os.IsNotExist(err) {
		t.Errorf("a cancelled job kept its checkpoint: %v", err)
	}
}

// TestRestart: a stopped server's successor lists the finished job and serves its residual,
// resumes the running one from its checkpoint, keeps the queued one queued behind it; a job
// left running without a checkpoint (a crash before the first one) is marked interrupted.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s := startService(t, dir, Config{Workers: 1, CheckpointEvery: 2})
	done := s.submit(newForm(t, "dog", 2, 3))
	s.waitEnd(done.ID)
	want := s.residual(done.ID)
	long := s.submit(newForm(t, "cat", 500, 3))
	queued := s.submit(newForm(t, "mug", 2, 3))
	s.waitJob(long.ID, "a checkpoint", func(j Job) bool { return j.Checkpoint >= 2 })
	// A crash now would leave this folder as it is: copy it, without the checkpoint, as a
	// server that died before its first checkpoint leaves it.
	crashDir := t.TempDir()
	copyDir(t, filepath.Join(dir, long.ID), filepath.Join(crashDir, long.ID))
	os.Remove(filepath.Join(crashDir, long.ID, checkpointFile))
	rec := s.job(long.ID)
	rec.State = Running
	writeJob(t, filepath.Join(crashDir, long.ID), rec)

	s.m.Close() // as `cones serve` does on SIGTERM
	s2 := startService(t, dir, Config{Workers: 1, CheckpointEvery: 2})
	if got := s2.job(done.ID); got.State != Done {
		t.Errorf("the finished job after a restart: %s", got.State)
	}
	if got := s2.residual(done.ID); !bytes.Equal(got, want) {
		t.Error("the residual changed across the restart")
	}
	resumed := s2.job(long.ID)
	if resumed.Resumed < 2 || (resumed.State != Running && resumed.State != Queued) {
		t.Errorf("the running job after a restart: %s, resumed from %d", resumed.State, resumed.Resumed)
	}
	if q := s2.job(queued.ID); q.State != Queued || q.Position != 1 {
		t.Errorf("the queued job after a restart: %s at %d", q.State, q.Position)
	}
	s2.waitJob(long.ID, "a step after resuming", func(j Job) bool { return j.Progress.Step > resumed.Resumed })
	s2.do("POST", "/api/train/"+long.ID+"/cancel", "", nil, nil)
	s2.do("POST", "/api/train/"+queued.ID+"/cancel", "", nil, nil)

	s3 := startService(t, crashDir, Config{Workers: 1})
	crashed := s3.job(long.ID)
	if crashed.State != Interrupted || !strings.Contains(crashed.Error, "no checkpoint") {
		t.Errorf("a job that crashed without a checkpoint: %s %q", crashed.State, crashed.Error)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeJob(t *testing.T, dir string, j Job) {
	t.Helper()
	data, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, jobFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name, id string
	job      Job
}

// readEvents reads a whole event stream, checking every line's form.
func readEvents(t *testing.T, url string) []sseEvent {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name == "" {
				t.Fatalf("an event without a name")
			}
			out = append(out, cur)
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"): // keep-alive comment
		case strings.HasPrefix(line, "event: "):
			cur.name = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			cur.id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[len("data: "):]), &cur.job); err != nil {
				t.Fatalf("data line %q: %v", line, err)
			}
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	return out
}

// TestEvents: the stream of a queued job shows its position, then its start, its steps with
// loss, rate and time left, and ends with its final state.
func TestEvents(t *testing.T) {
	s := startService(t, t.TempDir(), Config{Workers: 1})
	first := s.submit(newForm(t, "dog", 2, 3))
	second := s.submit(newForm(t, "cat", 3, 3))
	events := readEvents(t, s.url+"/api/train/"+second.ID+"/events")
	s.waitEnd(first.ID)
	if len(events) < 3 {
		t.Fatalf("%d events", len(events))
	}
	if e := events[0]; e.name != "state" || e.job.State != Queued || e.job.Position != 1 {
		t.Errorf("first event %s %s at %d, want state queued at 1", e.name, e.job.State, e.job.Position)
	}
	last := events[len(events)-1]
	if last.name != "state" || last.job.State != Done || last.job.Residual == "" {
		t.Errorf("last event %s %s", last.name, last.job.State)
	}
	sawRunning, step := false, 0
	for _, e := range events {
		if e.name == "state" && e.job.State == Running {
			sawRunning = true
		}
		if e.name == "progress" {
			p := e.job.Progress
			if p.Step <= step || p.Steps != 3 || p.Loss <= 0 || p.StepsPerSecond <= 0 || e.id != fmt.Sprint(p.Step) {
				t.Errorf("progress event %+v (id %s) after step %d", p, e.id, step)
			}
			if p.Step < p.Steps && p.ETASeconds <= 0 {
				t.Errorf("no time left estimate at step %d", p.Step)
			}
			step = p.Step
		}
	}
	if !sawRunning || step != 3 {
		t.Errorf("saw running %v, last progress step %d", sawRunning, step)
	}
	// A finished job's stream is its final state at once.
	again := readEvents(t, s.url+"/api/train/"+second.ID+"/events")
	if len(again) != 1 || again[0].job.State != Done {
		t.Errorf("events of a finished job: %+v", again)
	}
}
