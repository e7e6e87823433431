package jobs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle event stream sends a comment line, so that proxies and
// browsers keep it open while a job waits in the queue.
const keepAlive = 15 * time.Second

// serveEvents streams a job as server-sent events until it ends or the client goes away.
// Every event's data is the whole job (JSON):
//
//	event: state      the state or the queue position changed (sent first, and last)
//	event: progress   a step finished: progress.step, loss, steps_per_second, eta_seconds
//
// The event id is the step, so a reconnecting EventSource's Last-Event-ID says where it was.
// The stream ends after the event that reports a finished state.
func (m *Manager) serveEvents(w http.ResponseWriter, r *http.Request, id string) {
	ch, stop, err := m.Subscribe(id)
	if err != nil {
		writeError(w, jobError(err, id))
		return
	}
	defer stop()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var last *Job
	send := func(event string, j Job) bool {
		data, err := json.Marshal(j)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", event, j.Progress.Step, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// emit sends what changed since the last event; false ends the stream.
	emit := func() bool {
		j, err := m.Get(id)
		if err != nil {
			fmt.Fprintf(w, "event: deleted\ndata: {\"id\":%q}\n\n", id)
			rc.Flush()
			return false
		}
		if last == nil || j.Progress.Step != last.Progress.Step {
			if last != nil && !send("progress", j) {
				return false
			}
		}
		if last == nil || j.State != last.State || j.Position != last.Position {
			if !send("state", j) {
				return false
			}
		}
		last = &j
		return !j.State.Terminal()
	}
	if !emit() {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case _, ok := <-ch:
			if !ok || !emit() {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
