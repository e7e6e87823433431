//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/generation"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/reuse"
)

// formFields are the settings form's controls, by their settings.Form names.
func (a *app) formFields() map[string]js.Value {
	return map[string]js.Value{
		"sampler": a.el.sampler, "steps": a.el.steps, "guided_steps": a.el.guidedSteps,
		"guidance_weight": a.el.guidanceWeight, "cfg": a.el.cfg, "seed": a.el.seed,
		"width": a.el.width, "height": a.el.height, "prompt": a.el.prompt,
	}
}

func (a *app) wireSettings() {
	on(a.el.settings, "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		a.startGeneration()
	})
	on(a.el.settings, "input", func(js.Value) {
		a.formEdited = true
		a.saveDraft()
	})
	on(a.el.dice, "click", func(js.Value) {
		a.el.seed.Set("value", strconv.FormatUint(rand.Uint64N(1<<32), 10))
		a.el.seed.Call("setAttribute", "aria-invalid", "false")
		a.saveDraft()
	})
	on(a.el.generateCancel, "click", func(js.Value) {
		if a.run != nil {
			a.run.cancel()
			setText(a.el.stepText, "Cancelling…")
		}
	})
}

// readSettings reads the form; every bad field is marked and named, and nothing is cleared.
func (a *app) readSettings() (settings.Settings, error) {
	form := settings.Form{}
	for name, v := range a.formFields() {
		form[name] = v.Get("value").String()
		v.Call("setAttribute", "aria-invalid", "false")
	}
	s, err := settings.FromForm(form)
	if err == nil {
		var samplers []string
		if a.engine != nil {
			samplers = a.engine.Samplers()
		}
		err = s.Validate(samplers, a.model.sizeStep())
	}
	for _, fe := range settings.Fields(err) {
		if v, ok := a.formFields()[fe.Field]; ok {
			v.Call("setAttribute", "aria-invalid", "true")
		}
	}
	return s, err
}

// reuseItem puts a gallery image's settings back ("use these settings again").
func (a *app) reuseItem(it library.Item) {
	plan, err := reuse.New(it.Settings, a.subjects)
	if err != nil {
		message(a.el.settingsMessage, "Nothing restored from the gallery: "+err.Error()+".", true)
		return
	}
	a.restore(plan, "the gallery")
}

// restore puts checked settings into the form, the prompt and the layout (reuse.Plan), and says
// what came back and which subject words need residuals the library lacks.
func (a *app) restore(plan reuse.Plan, source string) {
	for name, v := range plan.Settings.ToForm() {
		if el, ok := a.formFields()[name]; ok {
			el.Set("value", v)
			el.Call("setAttribute", "aria-invalid", "false")
		}
	}
	a.formEdited = true // the person's choice: the model's recommendation no longer replaces it
	a.sizeChanged()
	msg, warn := plan.Message(source)
	if plan.Layout != nil {
		if err := a.ed.SetLayout(plan.Layout); err != nil {
			msg, warn = msg+" The layout could not be restored: "+err.Error()+".", true
		}
		a.maskCanvases = map[int]js.Value{}
	}
	a.layoutChanged(false)
	message(a.el.settingsMessage, msg, warn)
	a.el.prompt.Call("focus")
}

// running is one generation in progress.
type running struct {
	cancel context.CancelFunc
}

// startGeneration checks everything a run needs and says what is wrong, all at once, before
// touching the GPU.
func (a *app) startGeneration() {
	if a.run != nil {
		return
	}
	s, err := a.readSettings()
	var problems []string
	if err != nil {
		for _, fe := range settings.Fields(err) {
			problems = append(problems, fieldLabel(fe.Field)+": "+fe.Msg)
		}
	}
	req, reqProblems := a.buildRequest(s, err == nil)
	problems = append(problems, reqProblems...)
	if a.engine == nil {
		problems = append(problems, "Load the model first (Model, above).")
	}
	if len(problems) > 0 {
		message(a.el.settingsMessage, "Not generated:\n"+strings.Join(problems, "\n"), true)
		return
	}
	message(a.el.settingsMessage, "", false)
	ctx, cancel := context.WithCancel(a.ctx)
	a.run = &running{cancel: cancel}
	go a.generate(ctx, req)
}

func fieldLabel(field string) string {
	switch field {
	case "guided_steps":
		return "Guided steps"
	case "guidance_weight":
		return "Guidance weight"
	case "cfg":
		return "CFG scale"
	}
	return strings.ToUpper(field[:1]) + field[1:]
}

// buildRequest resolves the settings against the tokenizer, the layout, the library and the
// model through the shared request builder (wasm/generation, cones/request). The prompt's and
// the layout's problems are listed even when the settings are not valid (settingsOK false);
// the builder runs only on valid settings, which it would otherwise name a second time.
func (a *app) buildRequest(s settings.Settings, settingsOK bool) (*Request, []string) {
	var problems []string
	if a.tok == nil {
		return nil, []string{"The tokenizer is not loaded, so the prompt cannot be read."}
	}
	a.analyzePrompt()
	for _, p := range a.analysis.Problems {
		problems = append(problems, p.Error())
	}
	l, err := a.currentLayout()
	if err != nil {
		problems = append(problems, "Layout: "+err.Error())
	}
	m, err := a.requestModel()
	if err != nil {
		problems = append(problems, "Model: "+err.Error())
	}
	if len(problems) > 0 || !settingsOK {
		return nil, problems
	}
	var bound []library.Subject
	for _, b := range a.analysis.Bindings {
		if sub, ok := a.subjectFor(b.Word); ok && b.Residual {
			bound = append(bound, sub)
		}
	}
	c, rec, err := generation.Build(a.tok, m, s, l, bound)
	if err != nil {
		return nil, errorLines(err)
	}
	return &Request{Conditioning: c, Record: rec}, nil
}

// errorLines lists joined errors one per line, each starting with a capital for the page.
func errorLines(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, strings.ToUpper(line[:1])+line[1:])
		}
	}
	return out
}

// generate runs the engine and files the result in the gallery. The controls keep their place
// and size during the run (only their state changes), so nothing jumps.
func (a *app) generate(ctx context.Context, req *Request) {
	defer a.guard("generating")
	defer func() {
		a.run.cancel()
		a.run = nil
		setDisabled(a.el.generateStart, a.engine == nil)
		setDisabled(a.el.generateCancel, true)
		a.el.main.Call("setAttribute", "aria-busy", "false")
	}()
	setDisabled(a.el.generateStart, true)
	setDisabled(a.el.generateCancel, false)
	a.el.main.Call("setAttribute", "aria-busy", "true")
	total := req.Record.Steps
	a.el.stepProgress.Set("max", total)
	a.el.stepProgress.Set("value", 0)
	setText(a.el.stepText, fmt.Sprintf("Starting %d steps…", total))
	start := time.Now()
	img, err := a.engine.Generate(ctx, req, func(st Step) {
		a.el.stepProgress.Set("value", st.Index+1)
		setText(a.el.stepText, fmt.Sprintf("Step %d of %d", st.Index+1, st.Total))
		if st.Preview != nil {
			a.drawPreview(st.Preview)
		}
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			setText(a.el.stepText, "Cancelled.")
			message(a.el.settingsMessage, "Generation cancelled; your settings are unchanged.", false)
			return
		}
		a.engineFailed(err)
		setText(a.el.stepText, "Failed.")
		message(a.el.settingsMessage, "Not generated: "+err.Error(), true)
		return
	}
	a.drawPreview(img)
	elapsed := time.Since(start)
	if err := a.addToGallery(img, req.Record); err != nil {
		message(a.el.galleryMessage, "The image could not be saved: "+err.Error(), true)
	}
	setText(a.el.stepText, fmt.Sprintf("Done: %d steps in %.1f s.", total, elapsed.Seconds()))
}

// drawPreview shows an image (a latent preview or the result) in the fixed-size preview canvas.
func (a *app) drawPreview(img *image.RGBA) {
	c := a.el.preview
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if c.Get("width").Int() != w || c.Get("height").Int() != h {
		c.Set("width", w)
		c.Set("height", h)
	}
	ctx := c.Call("getContext", "2d")
	data := ctx.Call("createImageData", w, h)
	px := img.Pix
	if img.Stride != 4*w || len(px) != 4*w*h {
		px = make([]byte, 0, 4*w*h)
		for y := range h {
			off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
			px = append(px, img.Pix[off:off+4*w]...)
		}
	}
	js.CopyBytesToJS(data.Get("data"), px)
	ctx.Call("putImageData", data, 0, 0)
}

func (a *app) addToGallery(img *image.RGBA, s settings.Settings) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	it, err := library.NewItem(buf.Bytes(), s, time.Now())
	if err != nil {
		return err
	}
	if a.store != nil {
		if err := a.store.putItem(a.ctx, it); err != nil {
			a.items = append(a.items, it)
			a.renderGallery()
			return fmt.Errorf("%w (the image is shown but will not last past this page)", err)
		}
	}
	a.items = append(a.items, it)
	a.renderGallery()
	message(a.el.galleryMessage, "Added to the gallery.", false)
	return nil
}
