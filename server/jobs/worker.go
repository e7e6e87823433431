package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cones2web/cones2/server/subject"
)

// saveEvery bounds how often progress is written to job.json (state changes are written at
// once).
const saveEvery = 2 * time.Second

// dispatch starts queued jobs while workers are free (under m.mu).
func (m *Manager) dispatch() {
	for !m.closed && m.active < m.cfg.Workers && len(m.queue) > 0 {
		id := m.queue[0]
		m.queue = m.queue[1:]
		e := m.jobs[id]
		ctx, cancel := context.WithCancelCause(context.Background())
		now := time.Now().UTC()
		e.cancel, e.start, e.times = cancel, time.Now(), nil
		e.job.State, e.job.Error = Running, ""
		if e.job.Started == nil { // a resumed job keeps the time it first started
			e.job.Started = &now
		}
		m.persist(e)
		e.notify()
		m.notifyQueue()
		m.active++
		m.wg.Add(1)
		go m.work(ctx, e)
	}
}

// work trains one job and records how it ended.
func (m *Manager) work(ctx context.Context, e *entry) {
	defer m.wg.Done()
	m.mu.Lock()
	j := e.job
	m.mu.Unlock()
	run := Run{
		Word: j.Word, Options: j.Options.subjectOptions(),
		Checkpoint: m.st.path(j.ID, checkpointFile), CheckpointEvery: m.cfg.CheckpointEvery,
		CheckpointInterval: m.cfg.CheckpointInterval,
		Progress:           func(p subject.Progress) { m.progress(e, p) },
		Checkpointed:       func(step int, err error) { m.checkpointed(e, step, err) },
		// Queued work: a job waits for decoding memory as long as it takes (or until cancelled).
		Decode: m.gate.acquire,
	}
	for i, img := range j.Images {
		run.Images = append(run.Images, m.st.path(j.ID, imageFile(i, img.Format)))
	}
	m.log.Info("training job started", "job", j.ID, "word", j.Word)
	res, err := m.cfg.Runner.Train(ctx, run)
	if err == nil {
		err = writeAtomic(m.st.path(j.ID, residualFile), res)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e.cancel = nil
	m.active--
	switch cause := context.Cause(ctx); {
	case err == nil:
		m.finish(e, Done, "")
		os.Remove(m.st.path(j.ID, checkpointFile))
	case errors.Is(cause, ErrShutdown) && ctx.Err() != nil:
		// Left as running: the next Open resumes it from its checkpoint or marks it interrupted.
		m.persist(e)
		e.notify()
		m.log.Info("training job stopped for shutdown", "job", j.ID, "step", e.job.Progress.Step)
	case errors.Is(cause, errCancel) && ctx.Err() != nil:
		m.finish(e, Cancelled, "")
		os.Remove(m.st.path(j.ID, checkpointFile))
	default:
		m.log.Warn("training job failed", "job", j.ID, "err", err) // the full error, paths and all
		m.finish(e, Failed, m.public(err))
	}
	m.dispatch()
}

// finish records a terminal state (under m.mu).
func (m *Manager) finish(e *entry, s State, msg string) {
	now := time.Now().UTC()
	e.job.State, e.job.Finished, e.job.Error = s, &now, msg
	if s == Done {
		e.job.Progress.ETASeconds = 0
	}
	m.persist(e)
	e.notify()
	m.log.Info("training job ended", "job", e.job.ID, "state", s, "err", msg)
}

// progress records a finished step: the loss, the rate over the last steps and the time left.
func (m *Manager) progress(e *entry, p subject.Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	e.times = append(e.times, now)
	if len(e.times) > 20 {
		e.times = e.times[len(e.times)-20:]
	}
	rate := 0.0
	if n := len(e.times); n >= 2 {
		rate = float64(n-1) / e.times[n-1].Sub(e.times[0]).Seconds()
	} else if d := now.Sub(e.start).Seconds(); d > 0 {
		rate = 1 / d // the first step includes compiling the graph: a pessimistic start
	}
	pr := Progress{Step: p.Step, Steps: p.Steps, Loss: p.Loss, MSE: p.MSE, StepsPerSecond: rate}
	if rate > 0 {
		pr.ETASeconds = float64(p.Steps-p.Step) / rate
	}
	e.job.Progress = pr
	if now.Sub(e.saved) >= saveEvery || p.Step == p.Steps {
		m.persist(e)
	}
	e.notify()
}

func (m *Manager) checkpointed(e *entry, step int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.log.Warn("training checkpoint failed", "job", e.job.ID, "step", step, "err", err)
		return
	}
	e.job.Checkpoint = step
	m.persist(e)
}

// persist writes job.json (under m.mu); a failure is logged, the job goes on in memory.
func (m *Manager) persist(e *entry) {
	e.saved = time.Now()
	j := e.job
	j.Position, j.Residual = 0, ""
	if err := m.st.save(&j); err != nil {
		m.log.Warn("training job record not saved", "job", j.ID, "err", fmt.Sprint(err))
	}
}
