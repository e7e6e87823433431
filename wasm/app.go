//go:build js && wasm

package main

import (
	"context"
	"sync"
	"syscall/js"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/wasm/editor"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/prompt"
)

// app is the page: its elements, the person's work (prompt, layout, library, gallery) and the
// model. Go on wasm runs on one thread; handlers and goroutines interleave only where one waits
// for the browser, so the state needs no locks, but every await may see it changed.
type app struct {
	ctx context.Context
	el  pageElements

	store    *store // nil when the browser gives no IndexedDB (private windows in some browsers)
	tok      *tokenizer.Tokenizer
	train    *trainView // the "New subject" section; nil when its elements are missing
	ed       *editor.Editor
	subjects []library.Subject
	items    []library.Item
	analysis prompt.Analysis

	model      modelState
	sizeChosen bool   // the person set the output size; the model's native size no longer applies
	wordChosen string // the person's pick in "New boxes are for", shown whenever it is offered
	draftReady bool   // the stored draft was restored; changes may now be saved
	// draftRestored and formEdited say the form holds the person's work (brought back from a
	// stored draft, or typed since the page opened): the model's recommended settings then
	// no longer replace it.
	draftRestored, formEdited bool
	engine                    Engine
	run                       *running // the generation in progress, nil when idle

	// importing lets one import at a time ask its questions: a second drop waits its turn
	// instead of finding the clash dialog already open.
	importing sync.Mutex
	// clashChoice carries the button pressed in the clash dialog to the import waiting for it.
	clashChoice chan library.Choice

	maskCanvases map[int]js.Value // box ID -> offscreen canvas with its mask drawn
	canvasScale  int              // canvas backing pixels per output pixel
	itemURLs     map[int64]string // gallery item -> object URL of its image
}

// pageElements are the elements of ui/index.html the page drives.
type pageElements struct {
	status, alert, main js.Value

	modelName, modelSize, gpuName, gpuMemory, modelOffline     js.Value
	downloadProgress, downloadText, uploadProgress, uploadText js.Value
	modelLoad, modelMessage                                    js.Value

	prompt, promptMarks, promptTokens, promptWords, promptMessage js.Value

	newWord, boxAdd, boxClear, canvas, layoutKeys, layoutLive, layoutMessage, boxList js.Value
	layoutExport, layoutImport, officialImport                                        js.Value

	dropZone, residualImport, libraryMessage, subjectList, libraryEmpty js.Value
	importClash, importClashText, importReplace, importKeep             js.Value

	settings, sampler, steps, guidedSteps, guidanceWeight, cfg, seed, dice, width, height js.Value
	settingsMessage, generateStart, generateCancel, preview, stepProgress, stepText       js.Value
	generatePanel, settingsImport                                                         js.Value

	galleryMessage, galleryList, galleryEmpty js.Value
}

func findElements() (pageElements, error) {
	var f elements
	g := f.get
	e := pageElements{
		status: g("status"), alert: g("alert"), main: g("app"),
		modelName: g("model-name"), modelSize: g("model-size"), gpuName: g("gpu-name"), gpuMemory: g("gpu-memory"),
		modelOffline: g("model-offline"), downloadProgress: g("download-progress"), downloadText: g("download-text"),
		uploadProgress: g("upload-progress"), uploadText: g("upload-text"), modelLoad: g("model-load"),
		modelMessage: g("model-message"),
		prompt:       g("prompt"), promptMarks: g("prompt-marks"), promptTokens: g("prompt-tokens"),
		promptWords: g("prompt-words"), promptMessage: g("prompt-message"),
		newWord: g("new-word"), boxAdd: g("box-add"), boxClear: g("box-clear"), canvas: g("layout-canvas"),
		layoutKeys: g("layout-keys"), layoutLive: g("layout-live"), layoutMessage: g("layout-message"),
		boxList: g("box-list"), layoutExport: g("layout-export"), layoutImport: g("layout-import"),
		officialImport: g("official-import"),
		dropZone:       g("drop-zone"), residualImport: g("residual-import"), libraryMessage: g("library-message"),
		subjectList: g("subject-list"), libraryEmpty: g("library-empty"),
		importClash: g("import-clash"), importClashText: g("import-clash-text"), importReplace: g("import-replace"),
		importKeep: g("import-keep"),
		settings:   g("settings"), sampler: g("sampler"), steps: g("steps"), guidedSteps: g("guided_steps"),
		guidanceWeight: g("guidance_weight"), cfg: g("cfg"), seed: g("seed"), dice: g("dice"),
		width: g("width"), height: g("height"), settingsMessage: g("settings-message"),
		generateStart: g("generate-start"), generateCancel: g("generate-cancel"), preview: g("preview"),
		stepProgress: g("step-progress"), stepText: g("step-text"),
		generatePanel: g("generate"), settingsImport: g("settings-import"),
		galleryMessage: g("gallery-message"), galleryList: g("gallery-list"), galleryEmpty: g("gallery-empty"),
	}
	return e, f.err()
}

func newApp(ctx context.Context) (*app, error) {
	el, err := findElements()
	if err != nil {
		return nil, err
	}
	a := &app{ctx: ctx, el: el, maskCanvases: map[int]js.Value{}, itemURLs: map[int64]string{}, canvasScale: 1,
		clashChoice: make(chan library.Choice, 1)}
	w, h := a.formSize()
	if a.ed, err = editor.New(w, h); err != nil {
		return nil, err
	}
	return a, nil
}

// start wires the page and loads what it can without the person: library, gallery, tokenizer,
// model facts. Each part that fails says so in its own place; the rest keeps working.
func (a *app) start() {
	defer a.guard("starting the page")
	a.wireLayout()
	a.wirePrompt()
	a.wireLibrary()
	a.wireSettings()
	a.wireSettingsFile()
	a.wireModel()
	a.wireTraining()
	a.resizeCanvas()
	// Every sampler before the engine loads, so a draft or the model's recommendation can
	// name one other than the official lms.
	fillOptions(a.el.sampler, schedule.Names(), a.el.sampler.Get("value").String(), "")
	a.restoreDraft()
	a.drawLayout()
	a.renderBoxes()

	a.setStatus("Opening your library…")
	a.openStore()
	a.setStatus("Checking the GPU and the model…")
	a.inspectModel()
	a.el.main.Call("setAttribute", "aria-busy", "false")
	document.Get("body").Call("setAttribute", "data-ready", "true")
}

func (a *app) setStatus(s string) { setText(a.el.status, s) }

// alert shows a message that concerns the whole page (a lost GPU, a storage failure).
func (a *app) alert(s string) {
	setText(a.el.alert, s)
	setHidden(a.el.alert, s == "")
}
