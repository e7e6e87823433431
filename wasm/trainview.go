//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/train"
)

// trainJobsKey remembers the person's training jobs in localStorage, so that a job finished
// while the page was closed still lands in the library when it opens again.
const trainJobsKey = "cones2-train-jobs"

// trainView is the "New subject" section: photos and a word go to the server's training queue,
// the job's progress streams back as server-sent events, and the finished residual is added to
// the subject library. Without a reachable training server it says so; the rest of the page
// does not depend on it.
type trainView struct {
	a    *app
	el   trainElements
	info *train.Info

	files []js.Value // the chosen photos (File objects)
	urls  []string   // their thumbnails' object URLs

	job        *train.Job // the job followed, nil when none
	events     js.Value   // its EventSource
	funcs      []js.Func  // the EventSource's handlers, released when it closes
	stepsTyped bool       // the person typed a step count: the server's default no longer applies
}

type trainElements struct {
	server, form, photos, count, thumbs, word, steps, message, start, cancel, progress, text js.Value
}

// wireTraining binds the section and looks for the training server in the background.
func (a *app) wireTraining() {
	var f elements
	g := f.get
	el := trainElements{server: g("train-server"), form: g("train-form"), photos: g("train-photos"), count: g("train-count"),
		thumbs: g("train-thumbs"), word: g("train-word"), steps: g("train-steps"), message: g("train-message"),
		start: g("train-start"), cancel: g("train-cancel"), progress: g("train-progress"), text: g("train-text")}
	if err := f.err(); err != nil {
		js.Global().Get("console").Call("error", "training section: "+err.Error())
		return
	}
	t := &trainView{a: a, el: el}
	a.train = t
	on(el.photos, "change", func(js.Value) {
		files := fileList(el.photos)
		el.photos.Set("value", "")
		t.addPhotos(files)
	})
	on(el.steps, "input", func(js.Value) { t.stepsTyped = true })
	on(el.form, "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		go t.submit()
	})
	on(el.cancel, "click", func(js.Value) { go t.cancel() })
	on(js.Global(), "online", func(js.Value) { go t.connect() })
	go t.connect()
}

// connect asks the server what it trains; it is called at start and when the browser comes
// back online.
func (t *trainView) connect() {
	defer t.a.guard("looking for the training server")
	ctx, cancel := context.WithTimeout(t.a.ctx, 20*time.Second)
	defer cancel()
	status, body, err := apiRequest(ctx, "GET", train.InfoURL, js.Undefined())
	switch {
	case err != nil:
		t.info = nil
		message(t.el.server, "Training runs on the server, which cannot be reached now (offline?). "+
			"Your subjects and generation keep working here; come back online to train a new subject.", true)
	case status == 404:
		t.info = nil
		message(t.el.server, "This server does not train subjects. You can still import residual files into your library.", true)
	case status != 200:
		t.info = nil
		message(t.el.server, "The training server is not available: "+train.ParseError(status, body).Message, true)
	default:
		info, err := train.ParseInfo(body)
		if err != nil {
			message(t.el.server, err.Error(), true)
			break
		}
		t.info = &info
		t.describeServer()
		go t.resumeRemembered()
	}
	t.updateButtons()
}

// describeServer says what the server trains, and warns when its model is not the page's.
func (t *trainView) describeServer() {
	in := t.info
	l := in.Limits
	d := in.Defaults
	defaults := fmt.Sprintf("%d steps", d.Steps)
	if d.LearningRate > 0 {
		defaults += fmt.Sprintf(" at learning rate %g", d.LearningRate)
	}
	msg := fmt.Sprintf("Trains on the server (%s text encoder %s): %d to %d photos (PNG, JPEG or WebP, up to %s each), %s by default (the model's recommendation).",
		in.Model.Family, shortID(in.Model.Fingerprint), l.MinImages, l.MaxImages, library.HumanBytes(l.MaxImageBytes), defaults)
	if in.Queued > 0 {
		msg += fmt.Sprintf(" %d jobs are waiting.", in.Queued)
	}
	bad := false
	if fp := t.a.model.fingerprint; fp != "" && fp != in.Model.Fingerprint {
		msg = "The server trains for another model than the one this page uses; its subjects would not fit. " + msg
		bad = true
	}
	message(t.el.server, msg, bad)
	t.el.steps.Set("max", l.MaxSteps)
	if !t.stepsTyped {
		t.el.steps.Set("value", in.Defaults.Steps)
	}
}

// useModelSteps shows the model's recommended step count (cones.json) in the steps field while
// no training server has said its own default and the person has typed none: the form then
// never shows the official 3,000 steps for a model that recommends 600.
func (t *trainView) useModelSteps(steps int) {
	if t.info == nil && !t.stepsTyped && steps > 0 {
		t.el.steps.Set("value", steps)
	}
}

func shortID(s string) string {
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}

// addPhotos adds chosen files and shows their thumbnails.
func (t *trainView) addPhotos(files []js.Value) {
	t.files = append(t.files, files...)
	t.renderPhotos()
}

func (t *trainView) renderPhotos() {
	for _, u := range t.urls {
		js.Global().Get("URL").Call("revokeObjectURL", u)
	}
	t.urls = nil
	empty(t.el.thumbs)
	for i, f := range t.files {
		name := f.Get("name").String()
		u := js.Global().Get("URL").Call("createObjectURL", f).String()
		t.urls = append(t.urls, u)
		img := el("img", "")
		img.Set("src", u)
		img.Set("alt", name)
		li := el("li", "")
		label := el("span", name)
		label.Set("title", name)
		li.Call("append", img, label, button("Remove", "Remove "+name, func() {
			t.files = append(t.files[:i:i], t.files[i+1:]...)
			t.renderPhotos()
		}))
		t.el.thumbs.Call("append", li)
	}
	switch n := len(t.files); n {
	case 0:
		setText(t.el.count, "No photos chosen.")
	case 1:
		setText(t.el.count, "1 photo chosen.")
	default:
		setText(t.el.count, fmt.Sprintf("%d photos chosen.", n))
	}
}

func (t *trainView) active() bool { return t.job != nil && !t.job.Terminal() }

func (t *trainView) updateButtons() {
	setDisabled(t.el.start, t.info == nil || t.active())
	setDisabled(t.el.cancel, !t.active())
}

// submit checks the form, uploads the photos and follows the new job.
func (t *trainView) submit() {
	defer t.a.guard("starting a training job")
	if t.info == nil {
		message(t.el.message, "The training server is not reachable, so nothing was sent.", true)
		return
	}
	word := strings.TrimSpace(t.el.word.Get("value").String())
	t.el.word.Call("setAttribute", "aria-invalid", "false")
	t.el.steps.Call("setAttribute", "aria-invalid", "false")
	var photos []train.Photo
	for _, f := range t.files {
		photos = append(photos, train.Photo{Name: f.Get("name").String(), Type: f.Get("type").String(), Size: int64(f.Get("size").Float())})
	}
	if err := train.CheckWord(word); err != nil {
		t.el.word.Call("setAttribute", "aria-invalid", "true")
		message(t.el.message, "Word: "+err.Error(), true)
		return
	}
	steps, err := train.CheckSteps(t.el.steps.Get("value").String(), t.info.Limits)
	if err != nil {
		t.el.steps.Call("setAttribute", "aria-invalid", "true")
		message(t.el.message, err.Error(), true)
		return
	}
	if err := train.CheckPhotos(photos, t.info.Limits); err != nil {
		message(t.el.message, err.Error(), true)
		return
	}
	form := js.Global().Get("FormData").New()
	form.Call("append", "word", word)
	form.Call("append", "steps", fmt.Sprint(steps))
	for _, f := range t.files {
		form.Call("append", "images", f, f.Get("name"))
	}
	setDisabled(t.el.start, true)
	message(t.el.message, fmt.Sprintf("Uploading %d photos…", len(t.files)), false)
	status, body, err := apiRequest(t.a.ctx, "POST", train.JobsURL, form)
	if err != nil {
		message(t.el.message, "The photos could not be sent: the training server cannot be reached ("+err.Error()+").", true)
		t.updateButtons()
		return
	}
	if status != 202 {
		e := train.ParseError(status, body)
		if e.Field == "word" {
			t.el.word.Call("setAttribute", "aria-invalid", "true")
		}
		message(t.el.message, "The server did not start training: "+e.Message, true)
		t.updateButtons()
		return
	}
	job, err := train.ParseJob(body)
	if err != nil {
		message(t.el.message, err.Error(), true)
		t.updateButtons()
		return
	}
	t.remember(job.ID)
	message(t.el.message, fmt.Sprintf("Training %q on the server. You can keep working; the subject joins your library when it is done.", word), false)
	t.follow(job)
}

// follow shows a job and streams its events.
func (t *trainView) follow(job train.Job) {
	t.stopEvents()
	t.job = &job
	t.render(job)
	if job.Terminal() {
		t.ended(job)
		return
	}
	es := js.Global().Get("EventSource").New(train.JobURL(job.ID, "/events"))
	t.events = es
	handle := func(_ js.Value, args []js.Value) any {
		j, err := train.ParseJob([]byte(args[0].Get("data").String()))
		if err != nil || t.job == nil || j.ID != t.job.ID {
			return nil
		}
		t.job = &j
		t.render(j)
		if j.Terminal() {
			t.stopEvents()
			t.ended(j)
		}
		return nil
	}
	lost := func(js.Value, []js.Value) any {
		if t.job != nil && !t.job.Terminal() {
			setText(t.el.text, train.Describe(*t.job)+" (connection to the server lost; reconnecting…)")
		}
		return nil
	}
	for _, ev := range []struct {
		name string
		fn   func(js.Value, []js.Value) any
	}{{"state", handle}, {"progress", handle}, {"error", lost}} {
		f := js.FuncOf(ev.fn)
		t.funcs = append(t.funcs, f)
		es.Call("addEventListener", ev.name, f)
	}
	t.updateButtons()
}

func (t *trainView) stopEvents() {
	if t.events.Truthy() {
		t.events.Call("close")
	}
	t.events = js.Undefined()
	// Handlers may be running (this is called from one): release them after it returns.
	funcs := t.funcs
	t.funcs = nil
	if len(funcs) > 0 {
		go func() {
			for _, f := range funcs {
				f.Release()
			}
		}()
	}
}

// render shows a job's state on the progress bar.
func (t *trainView) render(j train.Job) {
	t.el.progress.Set("value", j.Fraction())
	setText(t.el.text, train.Describe(j))
	t.updateButtons()
}

// ended handles a job that finished: a done job's residual goes to the library.
func (t *trainView) ended(j train.Job) {
	t.updateButtons()
	switch j.State {
	case train.Done:
		go t.collect(j, true)
	case train.Cancelled:
		message(t.el.message, fmt.Sprintf("Training %q was cancelled. Your photos are still chosen.", j.Word), false)
		t.forget(j.ID)
	default:
		message(t.el.message, train.Describe(j), true)
		t.forget(j.ID)
	}
}

// collect downloads a finished job's residual and adds it to the library.
func (t *trainView) collect(j train.Job, clearForm bool) {
	defer t.a.guard("adding a trained subject")
	ctx, cancel := context.WithTimeout(t.a.ctx, time.Minute)
	defer cancel()
	data, err := fetchBytes(ctx, train.JobURL(j.ID, "/residual"), library.MaxResidualBytes, true)
	if err != nil {
		message(t.el.message, fmt.Sprintf("%q finished training but its residual could not be downloaded (%v); the page tries again next time it opens.", j.Word, err), true)
		return
	}
	a := t.a
	sub, err := a.importResidual(j.Word+".safetensors", data)
	if err == nil {
		sub.Source = "trained on the server"
		sub, err = a.addFree(sub)
	}
	var dup *library.DuplicateError
	if err != nil && !errors.As(err, &dup) {
		message(t.el.message, fmt.Sprintf("%q finished training but could not be added to your subjects: %v", j.Word, err), true)
		return
	}
	t.forget(j.ID)
	if err == nil {
		a.subjectsChanged()
		msg := fmt.Sprintf("Added %s to your subjects. Write %q in the prompt and give it a box to use it.", sub.Word, sub.Word)
		if !strings.EqualFold(sub.Word, j.Word) {
			// The job finished while nobody was asked (maybe before the page opened): both are
			// kept, and the new word is said rather than left to be guessed.
			msg = fmt.Sprintf("Added %s to your subjects: %s was already taken, so the new one is %s. Write %q in the prompt and give it a box to use it, or rename either in Subjects.", sub.Word, j.Word, sub.Word, sub.Word)
		}
		message(t.el.message, msg, false)
		message(a.el.libraryMessage, fmt.Sprintf("Added %s (trained on the server).", sub.Word), false)
	}
	if clearForm {
		t.files = nil
		t.renderPhotos()
		t.el.word.Set("value", "")
	}
}

// cancel stops the followed job.
func (t *trainView) cancel() {
	defer t.a.guard("cancelling training")
	if !t.active() {
		return
	}
	setDisabled(t.el.cancel, true)
	status, body, err := apiRequest(t.a.ctx, "POST", train.JobURL(t.job.ID, "/cancel"), js.Undefined())
	switch {
	case err != nil:
		message(t.el.message, "The training server cannot be reached to cancel: "+err.Error(), true)
	case status != 200:
		message(t.el.message, "Not cancelled: "+train.ParseError(status, body).Message, true)
	default:
		// The event stream reports the end, and may already have while the request was
		// answered: then the job's final state is on screen and stays.
		if t.active() {
			setText(t.el.text, "Cancelling…")
		}
		return
	}
	t.updateButtons()
}

// resumeRemembered picks up the person's jobs from earlier visits: finished ones are
// collected, a running or queued one is followed again.
func (t *trainView) resumeRemembered() {
	defer t.a.guard("resuming training jobs")
	for _, id := range t.remembered() {
		status, body, err := apiRequest(t.a.ctx, "GET", train.JobURL(id, ""), js.Undefined())
		if err != nil {
			return // offline again: try next time
		}
		if status == 404 {
			t.forget(id)
			continue
		}
		j, err := train.ParseJob(body)
		if err != nil || status != 200 {
			continue
		}
		switch {
		case j.State == train.Done:
			t.collect(j, false)
		case !j.Terminal() && !t.active():
			t.follow(j)
		case j.Terminal():
			t.forget(id)
		}
	}
}

func (t *trainView) remembered() []string {
	st := localStorage()
	if st.IsUndefined() {
		return nil
	}
	v := st.Call("getItem", trainJobsKey)
	if v.IsNull() {
		return nil
	}
	return train.ParseIDs(v.String())
}

func (t *trainView) remember(id string) {
	if st := localStorage(); !st.IsUndefined() {
		ids := append(t.remembered(), id)
		st.Call("setItem", trainJobsKey, strings.Join(ids, "\n"))
	}
}

func (t *trainView) forget(id string) {
	if st := localStorage(); !st.IsUndefined() {
		var keep []string
		for _, x := range t.remembered() {
			if x != id {
				keep = append(keep, x)
			}
		}
		st.Call("setItem", trainJobsKey, strings.Join(keep, "\n"))
	}
}

// apiRequest sends a request to the training API (always the network: the service worker
// leaves /api/ alone) and returns the status and body; err means the server was not reached.
func apiRequest(ctx context.Context, method, url string, body js.Value) (int, []byte, error) {
	init := map[string]any{"method": method, "cache": "no-store"}
	if !body.IsUndefined() {
		init["body"] = body
	}
	resp, err := await(ctx, js.Global().Call("fetch", url, js.ValueOf(init)))
	if err != nil {
		return 0, nil, err
	}
	buf, err := await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return 0, nil, err
	}
	b := bytesOf(buf)
	if len(b) > 1<<20 {
		return 0, nil, errors.New("the training server's answer is too large")
	}
	return resp.Get("status").Int(), b, nil
}
