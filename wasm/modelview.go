//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/offline"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/webgpu/engine"
)

// gpuFacts is what the page can tell about the GPU before loading anything.
type gpuFacts struct {
	info   string
	limits webgpu.Limits
	f16    bool
	cpu    bool  // runs shaders on the CPU (SwiftShader, llvmpipe): the engine may keep f32 weights
	err    error // ErrNoWebGPU, ErrNoAdapter, ...
}

func (a *app) wireModel() {
	on(a.el.modelLoad, "click", func(js.Value) { go a.loadModel() })
}

// inspectModel fills the model panel: GPU, model, size, offline copy. A saved model is loaded
// at once (that is the offline start); otherwise the person starts the download.
func (a *app) inspectModel() {
	a.inspectGPU()
	if err := a.readManifest(a.ctx); err != nil {
		message(a.el.modelMessage, "The model cannot be read: "+err.Error()+". Start the server with a model folder (`make run`).", true)
		a.setStatus("No model.")
		a.loadTokenizer() // a model folder without a manifest may still have its tokenizer
		return
	}
	setText(a.el.modelSize, fmt.Sprintf("%s in %d files", library.HumanBytes(a.model.totalBytes()), len(a.model.files)))
	a.model.saved = a.savedModel(a.ctx)
	a.setStatus("Loading the tokenizer…")
	a.loadTokenizer()
	if err := a.readIdentity(a.ctx); err != nil {
		message(a.el.modelMessage, "The model's configuration is not usable: "+err.Error(), true)
	} else {
		a.useRecommended()
	}
	setText(a.el.modelName, a.model.modelSummary())
	a.useNativeSize()
	a.showOffline()
	a.showGPUFit()
	switch {
	case a.model.gpu.err != nil:
		a.setStatus("This browser cannot generate images here; the layout editor and the library work.")
		setText(a.el.modelLoad, "Save the model for offline use")
		setDisabled(a.el.modelLoad, a.model.saved)
	case a.model.saved:
		a.setStatus("Loading the saved model…")
		go a.loadModel()
	default:
		setText(a.el.modelLoad, fmt.Sprintf("Download and load the model (%s)", library.HumanBytes(a.model.totalBytes())))
		setDisabled(a.el.modelLoad, false)
		a.setStatus("Ready. Load the model to generate images.")
	}
}

// useRecommended starts the form from the model's recommended settings (cones.json): its
// sampler, steps, guided steps, guidance weight and CFG scale, and its example prompt, whose
// subject phrases the layout's word list then offers; the "New subject" steps, until a
// training server says its own. A model without the file gets the
// official settings, which the page's own form already holds. Work the person brought back
// (a stored draft) or typed since the page opened is never replaced.
func (a *app) useRecommended() {
	if a.model.folder == nil {
		return
	}
	r := a.model.folder.Recommended
	if a.train != nil {
		a.train.useModelSteps(r.Training.Steps)
	}
	if a.draftRestored || a.formEdited {
		return
	}
	s := r.Sampling.Settings()
	s.Prompt = r.Example.Prompt
	fillOptions(a.el.sampler, schedule.Names(), s.Sampler, "")
	fields, form := a.formFields(), s.ToForm()
	for _, name := range []string{"prompt", "steps", "guided_steps", "guidance_weight", "cfg"} {
		fields[name].Set("value", form[name])
		fields[name].Call("setAttribute", "aria-invalid", "false")
	}
	a.analyzePrompt()
}

// useNativeSize makes the size fields step by the model's size step and sets the output size
// to the model's own (512 for SD 2.1-base, 32 for the default shapes model) unless the person
// already chose one.
func (a *app) useNativeSize() {
	r, ok := a.model.sizes()
	if !ok {
		return
	}
	step := r.SizeStep()
	for _, f := range []js.Value{a.el.width, a.el.height} {
		f.Call("setAttribute", "min", step)
		f.Call("setAttribute", "step", step)
	}
	n := r.NativeSize()
	if a.sizeChosen || n < step || n > settings.MaxSize || n%step != 0 {
		return
	}
	a.el.width.Set("value", n)
	a.el.height.Set("value", n)
	a.sizeChanged()
}

func (a *app) inspectGPU() {
	g := &gpuFacts{}
	a.model.gpu = g
	ad, err := webgpu.RequestAdapter(a.ctx)
	if err != nil {
		g.err = err
		setText(a.el.gpuName, "none")
		setText(a.el.gpuMemory, "–")
		message(a.el.modelMessage, gpuMessage(err), true)
		return
	}
	g.info, g.limits, g.f16, g.cpu = strings.TrimSpace(ad.Info), ad.Limits, ad.Features["shader-f16"], ad.CPU
	if g.info == "" {
		g.info = "a WebGPU adapter (the browser does not name it)"
	}
	f16 := "no"
	if g.f16 {
		f16 = "yes"
	}
	setText(a.el.gpuName, fmt.Sprintf("%s (shader-f16: %s)", g.info, f16))
}

// gpuMessage explains a missing GPU in terms of what the person can do.
func gpuMessage(err error) string {
	switch {
	case errors.Is(err, webgpu.ErrNoWebGPU):
		return "This browser has no WebGPU, so it cannot generate images. Use a recent Chrome, Edge or Safari (or enable WebGPU in the browser's settings). The layout editor, the prompt and the subject library still work."
	case errors.Is(err, webgpu.ErrNoAdapter):
		return "WebGPU is there but the browser offers no GPU (hardware acceleration off, or the GPU is blocklisted). Images cannot be generated here."
	}
	return "The GPU could not be opened: " + err.Error()
}

// showGPUFit says whether a generation at the chosen size fits this GPU: the engine's memory plan
// (weights, the UNet's buffers, the larger of text encoder and decoder) against what WebGPU
// reports. WebGPU does not tell a page the GPU's total memory, so the peak is stated for the
// person to judge, and the per-buffer limit, which WebGPU does report, is checked.
func (a *app) showGPUFit() {
	g := a.model.gpu
	if g == nil || g.err != nil || a.model.desc == nil {
		return
	}
	w, h := a.ed.Size()
	bind := min(g.limits.MaxStorageBufferBindingSize, g.limits.MaxBufferSize)
	f16, err := engine.F16Weights(engine.WeightsAuto, g.cpu, a.model.desc)
	if err != nil {
		setText(a.el.gpuMemory, err.Error())
		return
	}
	mem, err := gpugraph.PlanPipeline(a.model.desc, gpugraph.PipelineOptions{Width: w, Height: h, F16: f16, Limit: bind})
	if err != nil {
		setText(a.el.gpuMemory, fmt.Sprintf("a %d×%d image cannot be planned on this GPU: %v", w, h, err))
		return
	}
	precision := "f16"
	if !f16 {
		precision = "f32, faster than f16 where shaders run on the CPU"
	}
	text := fmt.Sprintf("a %d×%d image needs about %s at peak (weights %s, %s); largest buffer %s of the %s this GPU allows. WebGPU does not report the GPU's total memory.",
		w, h, library.HumanBytes(int64(mem.Peak)), library.HumanBytes(int64(mem.Weights)), precision,
		library.HumanBytes(int64(mem.Largest)), library.HumanBytes(int64(bind)))
	if mem.Largest > bind {
		text = fmt.Sprintf("not enough: a %d×%d image needs a %s buffer and this GPU allows %s; choose a smaller size",
			w, h, library.HumanBytes(int64(mem.Largest)), library.HumanBytes(int64(bind)))
	}
	setText(a.el.gpuMemory, text)
}

func (a *app) showOffline() {
	switch {
	case !hasCaches():
		setText(a.el.modelOffline, "not possible in this browser")
	case a.model.saved:
		setText(a.el.modelOffline, "saved and verified: works without the server")
	default:
		setText(a.el.modelOffline, "not saved yet")
	}
}

// loadModel saves the model for offline use (if it is not yet) and loads it onto the GPU.
func (a *app) loadModel() {
	defer a.guard("loading the model")
	if a.model.loading || a.model.manifest == nil {
		return
	}
	a.model.loading = true
	defer func() { a.model.loading = false }()
	setDisabled(a.el.modelLoad, true)
	message(a.el.modelMessage, "", false)
	ctx := a.ctx
	if !a.model.saved && hasCaches() {
		a.setStatus("Downloading the model…")
		err := a.saveModel(ctx, func(p offline.Progress) {
			a.el.downloadProgress.Set("value", p.Fraction())
			setText(a.el.downloadText, p.String())
		})
		if err != nil {
			message(a.el.modelMessage, "The model was not saved: "+err.Error()+". Press the button to try again; files already checked are kept.", true)
			setDisabled(a.el.modelLoad, false)
			a.setStatus("The model download stopped.")
			return
		}
		a.model.saved = true
		a.showOffline()
	} else if a.model.saved {
		a.el.downloadProgress.Set("value", 1)
		setText(a.el.downloadText, "saved in this browser: "+offline.Progress{Done: a.model.totalBytes(), Total: a.model.totalBytes()}.String())
	}
	if a.model.gpu != nil && a.model.gpu.err != nil {
		a.setStatus("The model is saved; this browser cannot run it (no WebGPU).")
		return
	}
	a.loadEngine(ctx)
}

// loadEngine opens the GPU engine and uploads the weights with byte progress.
func (a *app) loadEngine(ctx context.Context) {
	e, err := openEngine(ctx)
	if err != nil {
		message(a.el.modelMessage, "Generation is unavailable: "+err.Error(), true)
		setText(a.el.uploadText, "–")
		a.setStatus("Ready, without generation.")
		return
	}
	a.setStatus("Uploading the model to the GPU…")
	totals := a.model.uploadTotals()
	var total int64
	for _, n := range totals {
		total += n
	}
	done := map[string]int64{}
	info, err := e.Load(ctx, offline.ModelBase, a.model.manifestPaths(), func(component string, n int64) {
		done[component] = n
		var sum int64
		for _, v := range done {
			sum += v
		}
		p := offline.Progress{Done: min(sum, total), Total: total}
		a.el.uploadProgress.Set("value", p.Fraction())
		setText(a.el.uploadText, p.String())
	})
	if err != nil {
		e.Close()
		message(a.el.modelMessage, "The model could not be loaded onto the GPU: "+err.Error(), true)
		setDisabled(a.el.modelLoad, false)
		a.setStatus("The model is not loaded.")
		return
	}
	a.engine = e
	a.model.info = info
	a.alert("") // a lost GPU, if that is why the model was loaded again, is behind us
	a.el.uploadProgress.Set("value", 1)
	setText(a.el.modelName, a.model.modelSummary())
	if info.GPUSummary != "" {
		setText(a.el.uploadText, info.GPUSummary)
	}
	if info.Warmed != nil {
		go a.showWarmed(e, info)
	}
	fillOptions(a.el.sampler, e.Samplers(), a.el.sampler.Get("value").String(), "")
	setDisabled(a.el.generateStart, false)
	setText(a.el.modelLoad, "Model loaded")
	a.setStatus("Ready.")
}

// showWarmed says, once the loaded engine e has compiled what a first picture runs, that the
// first picture will not wait for it (unless another engine has replaced e since).
func (a *app) showWarmed(e Engine, info ModelInfo) {
	if err := <-info.Warmed; err != nil || a.engine != e {
		return
	}
	setText(a.el.uploadText, info.GPUSummary+"; kernels compiled for a first picture")
}

// engineFailed reacts to an engine error: a lost GPU device makes the engine unusable, so the
// page drops it and offers to load the model again; other errors leave it loaded.
func (a *app) engineFailed(err error) {
	if !errors.Is(err, webgpu.ErrDeviceLost) {
		return
	}
	if a.engine != nil {
		a.engine.Close()
		a.engine = nil
	}
	a.alert("The GPU was lost (" + err.Error() + "). Your prompt, layout, subjects and images are kept. Load the model again to continue.")
	setText(a.el.modelLoad, "Load the model again")
	setDisabled(a.el.modelLoad, false)
	setDisabled(a.el.generateStart, true)
	a.el.uploadProgress.Set("value", 0)
	setText(a.el.uploadText, "–")
}
