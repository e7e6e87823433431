package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// Errors callers branch on (the API maps each to a status).
var (
	ErrNotFound  = errors.New("no such job")
	ErrQueueFull = errors.New("the training queue is full")
	ErrFinished  = errors.New("the job has already finished")
	ErrActive    = errors.New("the job is still queued or running; cancel it first")
	ErrNotDone   = errors.New("the job has no residual (it has not finished training)")
	ErrClosed    = errors.New("the training service is shutting down")
	// ErrShutdown is the cause given to a running job's context when the server stops: the
	// job is kept (with a checkpoint) to resume at the next start.
	ErrShutdown = errors.New("the server is stopping")
	errCancel   = errors.New("cancelled")
)

// Config configures a Manager.
type Config struct {
	Dir     string // the jobs folder (created if missing)
	Runner  Runner
	Workers int // jobs trained at once (default 1)
	// MaxActive bounds the jobs queued or running (default 32): more are refused, not queued.
	MaxActive int
	Limits    Limits
	// CheckpointEvery and CheckpointInterval save a running job's state every so many steps
	// and after so much training time (0: not by that rule; with both 0, never); a restarted
	// server resumes from the last one.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// Defaults are the options a request leaves out. Zero takes the model's own: the
	// runner's Recommended through subject.ModelDefaults (the official options for a folder
	// without recommendations).
	Defaults subject.Options
	// StopWait bounds how long Close waits for a running step to end (default 30 s).
	StopWait time.Duration
	Logger   *slog.Logger
}

// Manager owns the jobs: the queue, the workers and the records on disk.
type Manager struct {
	cfg     Config
	st      store
	log     *slog.Logger
	mu      sync.Mutex
	jobs    map[string]*entry
	queue   []string // queued job IDs, first to run first
	active  int      // running
	pending int      // submissions writing their files
	closed  bool
	wg      sync.WaitGroup
	gate    *budget // memory for decoding photos, shared by uploads and jobs
}

// entry is a job and what the manager keeps beside it.
type entry struct {
	job    Job
	cancel context.CancelCauseFunc
	subs   map[chan struct{}]struct{}
	saved  time.Time   // when job.json was last written
	times  []time.Time // the last steps' finishing times, for the rate
	start  time.Time
}

// Open reads the jobs folder and starts the workers: finished jobs are listed as they were,
// queued ones wait again in their order, and jobs that were running resume from their last
// checkpoint or, without one, are marked interrupted.
func Open(cfg Config) (*Manager, error) {
	if cfg.Runner == nil {
		return nil, errors.New("jobs: no runner")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.MaxActive <= 0 {
		cfg.MaxActive = 32
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	if cfg.Limits.DecodeBytes <= 0 {
		cfg.Limits.DecodeBytes = DefaultLimits().DecodeBytes
	}
	if cfg.Limits.DecodeWait <= 0 {
		cfg.Limits.DecodeWait = DefaultDecodeWait
	}
	if cfg.StopWait <= 0 {
		cfg.StopWait = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("jobs folder: %w", err)
	}
	m := &Manager{cfg: cfg, st: store{root: cfg.Dir}, log: cfg.Logger, jobs: map[string]*entry{},
		gate: newBudget(cfg.Limits.DecodeBytes)}
	m.st.removeStaging()
	loaded, bad := m.st.loadAll()
	for _, err := range bad {
		m.log.Warn("training job not loaded", "err", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range loaded {
		e := &entry{job: *j, subs: map[chan struct{}]struct{}{}}
		m.jobs[j.ID] = e
		m.recover(e)
	}
	m.dispatch()
	return m, nil
}

// defaults are the options a request starts from, and the model's recommendations they come
// from (which also say whether the model has sentences of its own).
func (m *Manager) defaults() (subject.Options, weights.Recommended, error) {
	rec, err := m.cfg.Runner.Recommended()
	if err != nil {
		return subject.Options{}, weights.Recommended{}, err
	}
	if m.cfg.Defaults != (subject.Options{}) {
		return m.cfg.Defaults, rec, nil
	}
	return subject.ModelDefaults(rec), rec, nil
}

// recover decides what a job read at start-up becomes.
func (m *Manager) recover(e *entry) {
	j := &e.job
	switch j.State {
	case Queued:
		m.queue = append(m.queue, j.ID)
	case Running:
		if _, err := os.Stat(m.st.path(j.ID, checkpointFile)); err == nil && j.Checkpoint > 0 {
			// Started stays: the job began then, and resumes now. The progress goes back to the
			// checkpoint's step; the loss, rate and time left recorded after it belong to steps
			// that will be trained again, so they are cleared until the first new step.
			j.State, j.Resumed = Queued, j.Checkpoint
			j.Progress = Progress{Step: j.Checkpoint, Steps: j.Progress.Steps}
			m.queue = append(m.queue, j.ID)
			m.log.Info("training job resumes", "job", j.ID, "step", j.Checkpoint)
		} else {
			now := time.Now().UTC()
			j.State, j.Finished = Interrupted, &now
			j.Error = fmt.Sprintf("the server stopped at step %d of %d and there was no checkpoint to resume from; start the job again",
				j.Progress.Step, j.Progress.Steps)
		}
		if err := m.st.save(j); err != nil {
			m.log.Warn("training job record", "job", j.ID, "err", err)
		}
	}
}

// Close stops the workers: running jobs are checkpointed (when checkpoints are on) and left to
// resume at the next Open; queued jobs stay queued. A trainer stops between steps, and a step
// cannot be interrupted: Close waits for it at most Config.StopWait, after which the job is
// left to resume from its last periodic checkpoint.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	for _, e := range m.jobs {
		if e.cancel != nil {
			e.cancel(ErrShutdown)
		}
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(m.cfg.StopWait):
		m.log.Warn("training still in a step at shutdown; it resumes from its last checkpoint", "waited", m.cfg.StopWait)
	}
}

// Get returns a snapshot of a job.
func (m *Manager) Get(id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.jobs[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	return m.snapshot(e), nil
}

// List returns every job, newest first.
func (m *Manager) List() []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Job, 0, len(m.jobs))
	for _, e := range m.jobs {
		out = append(out, m.snapshot(e))
	}
	slices.SortFunc(out, func(a, b Job) int { return b.Created.Compare(a.Created) })
	return out
}

// snapshot copies a job with its queue position filled in (under m.mu).
func (m *Manager) snapshot(e *entry) Job {
	j := e.job
	j.Images = slices.Clone(j.Images)
	j.Position = 0
	if j.State == Queued {
		j.Position = slices.Index(m.queue, j.ID) + 1
	}
	if j.State == Done {
		j.Residual = "/api/train/" + j.ID + "/residual"
	}
	return j
}

// Upload is one photo of a new job, already checked (see parseUpload): its bytes, or the file
// they were streamed to (Path, in the jobs folder's file system: Submit moves it).
type Upload struct {
	Image
	Data []byte
	Path string
}

// Submit stores a new job and queues it.
func (m *Manager) Submit(word string, opts subject.Options, photos []Upload) (Job, error) {
	id, err := newID()
	if err != nil {
		return Job{}, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Job{}, ErrClosed
	}
	if n := m.activeCount() + m.pending; n >= m.cfg.MaxActive {
		m.mu.Unlock()
		return Job{}, ErrQueueFull
	}
	m.pending++ // holds the place while the files are written, outside the lock
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.pending--
		m.mu.Unlock()
	}()
	// Files first, the record last: a crash in between leaves a folder without job.json,
	// which is ignored.
	if err := os.MkdirAll(m.st.path(id, imagesDir), 0o755); err != nil {
		return Job{}, fmt.Errorf("store the photos: %w", err)
	}
	j := Job{ID: id, Word: word, Options: apiOptions(opts), State: Queued, Created: time.Now().UTC(),
		Progress: Progress{Steps: opts.Steps}}
	for i, ph := range photos {
		dst := m.st.path(id, imageFile(i, ph.Format))
		var err error
		if ph.Path != "" {
			err = os.Rename(ph.Path, dst)
		} else {
			err = writeAtomic(dst, ph.Data)
		}
		if err != nil {
			os.RemoveAll(m.st.dir(id))
			return Job{}, fmt.Errorf("store the photos: %w", err)
		}
		j.Images = append(j.Images, ph.Image)
	}
	if err := m.st.save(&j); err != nil {
		os.RemoveAll(m.st.dir(id))
		return Job{}, fmt.Errorf("store the job: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &entry{job: j, subs: map[chan struct{}]struct{}{}, saved: time.Now()}
	m.jobs[id] = e
	m.queue = append(m.queue, id)
	m.dispatch()
	m.log.Info("training job queued", "job", id, "word", word, "photos", len(photos), "steps", opts.Steps)
	return m.snapshot(e), nil
}

func (m *Manager) activeCount() int {
	n := 0
	for _, e := range m.jobs {
		if !e.job.State.Terminal() {
			n++
		}
	}
	return n
}

// Cancel stops a queued or running job.
func (m *Manager) Cancel(id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.jobs[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	switch e.job.State {
	case Queued:
		m.queue = slices.DeleteFunc(m.queue, func(q string) bool { return q == id })
		m.finish(e, Cancelled, "")
		m.notifyQueue()
	case Running:
		e.cancel(errCancel) // the worker records it when the trainer stops
	default:
		return m.snapshot(e), ErrFinished
	}
	return m.snapshot(e), nil
}

// Delete forgets a finished job and removes its files.
func (m *Manager) Delete(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.jobs[id]
	if !ok {
		return ErrNotFound
	}
	if !e.job.State.Terminal() {
		return ErrActive
	}
	if err := os.RemoveAll(m.st.dir(id)); err != nil {
		// The client sees that it failed, the log where.
		m.log.Error("training job not deleted", "job", id, "err", err)
		return fmt.Errorf("delete job %s: its files could not all be removed", id)
	}
	delete(m.jobs, id)
	for ch := range e.subs {
		close(ch)
	}
	return nil
}

// ResidualPath is the residual file of a finished job.
func (m *Manager) ResidualPath(id string) (string, Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.jobs[id]
	if !ok {
		return "", Job{}, ErrNotFound
	}
	if e.job.State != Done {
		return "", m.snapshot(e), ErrNotDone
	}
	return m.st.path(id, residualFile), m.snapshot(e), nil
}

// Subscribe returns a channel that receives a signal whenever the job changes (signals
// coalesce: read the job with Get on each), closed when the job is deleted; stop unsubscribes.
func (m *Manager) Subscribe(id string) (<-chan struct{}, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.jobs[id]
	if !ok {
		return nil, nil, ErrNotFound
	}
	ch := make(chan struct{}, 1)
	e.subs[ch] = struct{}{}
	stop := func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(e.subs, ch)
	}
	return ch, stop, nil
}

// notify signals a job's subscribers (under m.mu).
func (e *entry) notify() {
	for ch := range e.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

// notifyQueue signals every queued job: their positions moved.
func (m *Manager) notifyQueue() {
	for _, id := range m.queue {
		m.jobs[id].notify()
	}
}
