package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/weights"
)

// appGPULost crashes the browser's GPU process under a loaded model: the page must say what
// happened, keep the person's work, and load the model again on request.
func appGPULost(s *appSite) {
	prompt := pageEval[string](s, `document.getElementById("prompt").value`)
	boxes, images := s.boxes(), s.galleryCount()
	if _, err := chromedp.CallBrowser(s.ctx, browser.CrashGPUProcess, cdp.Empty{}); err != nil {
		s.t.Fatalf("crash the GPU process: %v", err)
	}
	s.appSettings(2, 0, "3")
	s.click("#generate-start")
	s.waitText("alert", "The GPU was lost")
	if got := pageEval[string](s, `document.getElementById("prompt").value`); got != prompt {
		s.t.Errorf("prompt %q after the GPU was lost, was %q", got, prompt)
	}
	if got := s.boxes(); !slices.Equal(got, boxes) || s.galleryCount() != images {
		s.t.Errorf("work lost with the GPU: boxes %+v -> %+v, %d images -> %d", boxes, got, images, s.galleryCount())
	}
	s.waitText("model-load", "Load the model again")
	s.click("#model-load")
	s.waitFor(`!document.getElementById("generate-start").disabled`, "the model to load again")
	if !pageEval[bool](s, `document.getElementById("alert").hidden`) {
		s.t.Error("the GPU-lost alert stays after the model loaded again")
	}
	s.click("#generate-start")
	s.waitTextWithin("step-text", "Done: 2 steps", 10*time.Minute)
	if s.galleryCount() != images+1 {
		s.t.Errorf("no image after loading the model again")
	}
}

// appNewBuild restarts the server with a changed app shell (a new build) on the same address:
// the next visit installs the new service worker, which replaces the old shell cache, and the
// saved model stays.
func appNewBuild(s *appSite) {
	old := pageEval[string](s, `document.body.dataset.version`)
	images := s.galleryCount()
	s.stop()
	s.writeWebFile("build-note.txt", []byte("a file that changes the build's version\n"))
	s.startServer()
	s.open()
	version := pageEval[string](s, `document.body.dataset.version`)
	if version == old {
		s.t.Fatalf("the build version did not change (%s)", version)
	}
	// The new worker installs, activates and deletes the old shell; on failure say how far it got.
	state := `Promise.all([caches.keys(), navigator.serviceWorker.getRegistration()]).then(([k, r]) => JSON.stringify({
		caches: k.filter(n => n.startsWith("shell-")), active: r && r.active && r.active.state,
		installing: !!(r && r.installing), waiting: !!(r && r.waiting), controlled: !!navigator.serviceWorker.controller}))`
	want := fmt.Sprintf(`"caches":["shell-%s"],"active":"activated"`, version)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		got := pageEval[string](s, state)
		if strings.Contains(got, want) {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the new build's service worker did not replace the old shell cache: %s, want %s\nchrome://serviceworker-internals says:\n%s",
				got, want, s.serviceWorkerInternals())
		}
	}
	s.waitText("model-offline", "saved and verified")
	if got := s.galleryCount(); got != images {
		s.t.Errorf("the gallery has %d images after the new build, had %d", got, images)
	}
}

func appSaveModel(s *appSite) {
	// A file that does not match the manifest (a corrupt download, a model changed on the
	// server) is refused by name and the model stays unsaved.
	unet := filepath.Join(s.modelDir, "unet", "diffusion_pytorch_model.safetensors")
	good, err := os.ReadFile(unet)
	if err != nil {
		s.t.Fatal(err)
	}
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(unet, bad, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.click("#model-load")
	s.waitText("model-message", "unet/diffusion_pytorch_model.safetensors: sha256")
	if got := s.text("model-offline"); got != "not saved yet" {
		s.t.Errorf("offline copy %q after a corrupt download", got)
	}
	if err := os.WriteFile(unet, good, 0o644); err != nil {
		s.t.Fatal(err)
	}
	// Trying again keeps the files already checked and fetches the rest.
	s.click("#model-load")
	s.waitText("model-offline", "saved and verified")
	if got := s.text("download-text"); !strings.Contains(got, "(100.0%)") {
		s.t.Errorf("download progress %q", got)
	}
	if pageEval[float64](s, `document.getElementById("download-progress").value`) != 1 {
		s.t.Error("download bar not full")
	}
	// Then the weights go to the GPU, read back from the saved copy with Range requests.
	s.waitText("upload-text", "of weights on the GPU")
	s.waitFor(`!document.getElementById("generate-start").disabled`, "Generate to be enabled")
	if got := s.text("model-message"); got != "" {
		s.t.Errorf("model message after loading: %q", got)
	}
}

// appSettings puts a small, fast run into the form (SwiftShader is slow: 64×64 pixels, a few
// steps), typed like a person.
func (s *appSite) appSettings(steps, guided int, seed string) {
	s.typeInto("steps", strconv.Itoa(steps))
	s.typeInto("guided_steps", strconv.Itoa(guided))
	s.typeInto("seed", seed)
	for _, id := range []string{"width", "height"} {
		s.typeInto(id, "64")
		s.do(chromedp.Blur(chromedp.ID(id))) // a changed field commits on leaving it
	}
}

// rects are the positions of the page's sections, to see that nothing moves during a run.
func (s *appSite) rects() string {
	return pageEval[string](s, `["model", "compose", "library", "generate", "preview", "step-progress", "generate-start"].map(id => {
		const r = document.getElementById(id).getBoundingClientRect();
		return id + ":" + [r.left, r.top + scrollY, r.width, r.height].map(Math.round).join(",");
	}).join(" ")`)
}

func (s *appSite) galleryCount() int {
	return pageEval[int](s, `document.querySelectorAll("#gallery-list li").length`)
}

func appGenerate(s *appSite) {
	// The official layout's dog region is for our rex: rebind it in the box table.
	for i, b := range s.boxes() {
		if b.Word == "dog" {
			s.selectOption(fmt.Sprintf("#box-list tr:nth-child(%d) select", i+1), "rex")
		}
	}
	s.typeInto("prompt", "a mug and a rex on the beach")
	s.appSettings(3, 2, "1234")
	before, n := s.rects(), s.galleryCount()
	s.click("#generate-start")
	// The first step compiles every pipeline on SwiftShader: minutes on a loaded two-core
	// machine, so the same hang guard as the other first generations.
	s.waitTextWithin("step-text", "Step 1 of 3", 10*time.Minute)
	if during := s.rects(); during != before {
		s.t.Errorf("the page moved while generating:\nbefore %s\nduring %s", before, during)
	}
	if !pageEval[bool](s, `document.getElementById("generate-start").disabled && !document.getElementById("generate-cancel").disabled`) {
		s.t.Error("during a run Generate should be disabled and Cancel enabled")
	}
	s.waitTextWithin("step-text", "Done: 3 steps", 10*time.Minute)
	if after := s.rects(); after != before {
		s.t.Errorf("the page moved after generating:\nbefore %s\nafter  %s", before, after)
	}
	if got := s.galleryCount(); got != n+1 {
		s.t.Fatalf("gallery has %d images, want %d", got, n+1)
	}
	if !pageEval[bool](s, `(() => { const i = document.querySelector("#gallery-list li img"); return i.complete && i.naturalWidth > 0; })()`) {
		s.t.Error("the gallery image does not show")
	}

	// Download the PNG: it carries the settings.
	name := pageEval[string](s, `document.querySelector("#gallery-list li a[download]").download`)
	s.forgetDownload(name)
	s.click("#gallery-list li a[download]")
	png := s.downloaded(name)
	got, err := settings.FromPNG(png)
	if err != nil {
		s.t.Fatalf("downloaded %s: %v", name, err)
	}
	if got.Seed != 1234 || got.Steps != 3 || got.GuidanceSteps != 2 || got.Width != 64 || got.Prompt != "a mug and a rex on the beach" || len(got.Subjects) != 2 {
		s.t.Errorf("settings in the PNG: %+v", got)
	}

	if len(got.Regions) != 2 {
		s.t.Errorf("the PNG carries %d mask regions, want the layout's 2", len(got.Regions))
	}

	// "Use these settings again" brings them back after the form and the layout changed.
	boxes := s.boxes()
	s.click("#box-clear")
	s.typeInto("seed", "99")
	s.click(`#gallery-list li button:not([aria-label])`)
	s.waitText("settings-message", "Settings restored")
	if seed := pageEval[string](s, `document.getElementById("seed").value`); seed != "1234" {
		s.t.Errorf("seed after restoring: %s", seed)
	}
	if got := s.boxes(); !slices.Equal(got, boxes) {
		s.t.Errorf("layout after restoring: %+v, want %+v", got, boxes)
	}

	// Deleting an image can be undone.
	s.click(`#gallery-list li button[aria-label="Delete this image"]`)
	s.waitText("gallery-message", "Image deleted.")
	if got := s.galleryCount(); got != n {
		s.t.Errorf("%d images after deleting one, want %d", got, n)
	}
	s.click(`#gallery-message button[aria-label="Undo deleting the image"]`)
	s.waitText("gallery-message", "Image restored.")
	if got := s.galleryCount(); got != n+1 {
		s.t.Errorf("%d images after undoing, want %d", got, n+1)
	}

	// A long run can be cancelled; the settings stay.
	s.appSettings(200, 0, "5")
	s.click("#generate-start")
	s.waitText("step-text", "Step 1 of 200")
	s.click("#generate-cancel")
	s.waitText("settings-message", "Generation cancelled")
	if got := s.galleryCount(); got != n+1 {
		s.t.Errorf("a cancelled run added to the gallery (%d images)", got)
	}
	if v := pageEval[string](s, `document.getElementById("steps").value`); v != "200" {
		s.t.Errorf("steps after cancelling: %s", v)
	}
}

func appOffline(s *appSite) {
	words := s.subjectWords()
	name := s.text("model-name")
	s.stop()
	s.open()
	if got := s.waitText("model-offline", "saved and verified"); got == "" {
		s.t.Fatal("offline copy not found after the server stopped")
	}
	if got := s.text("model-name"); got != name {
		s.t.Errorf("offline model name %q, online %q", got, name)
	}
	if got := s.subjectWords(); !slices.Equal(got, words) {
		s.t.Errorf("offline library %v, online %v", got, words)
	}
	s.typeInto("prompt", "a mug and a rex on the beach")
	s.waitText("prompt-tokens", "10 / 77 tokens")
	if got := s.markedWords(); len(got) == 0 {
		s.t.Error("no subject words marked offline")
	}
	s.waitText("download-text", "saved in this browser")

	// The service worker answers Range requests from the saved files, suffix ranges included,
	// and refuses ranges past the end.
	index, err := os.ReadFile(filepath.Join(s.modelDir, "model_index.json"))
	if err != nil {
		s.t.Fatal(err)
	}
	got := pageEval[string](s, `Promise.all([
		fetch("/model/model_index.json", {headers: {Range: "bytes=-7"}}).then(async r => r.status + " " + r.headers.get("Content-Range") + " " + await r.text()),
		fetch("/model/model_index.json", {headers: {Range: "bytes=100000-"}}).then(r => String(r.status)),
	]).then(v => v.join("|"))`)
	if want := fmt.Sprintf("206 bytes %d-%d/%d %s|416", len(index)-7, len(index)-1, len(index), index[len(index)-7:]); got != want {
		s.t.Errorf("offline ranges: %q, want %q", got, want)
	}

	// And it generates, with the server gone.
	s.waitText("upload-text", "of weights on the GPU")
	s.waitFor(`!document.getElementById("generate-start").disabled`, "Generate to be enabled offline")
	n := s.galleryCount()
	s.appSettings(2, 1, "77")
	s.click("#generate-start")
	s.waitTextWithin("step-text", "Done: 2 steps", 10*time.Minute)
	if got := s.galleryCount(); got != n+1 {
		s.t.Errorf("offline generation: gallery has %d images, want %d", got, n+1)
	}
}

// appNoWebGPU opens the page in a second tab of a browser without WebGPU (navigator.gpu hidden
// before the page runs): the page says why it cannot generate, and the rest still works.
func appNoWebGPU(s *appSite) {
	ctx, cancel := chromedp.NewContext(s.ctx)
	defer cancel()
	first := s.ctx
	s.ctx = ctx // the helpers act on this tab until the test returns
	defer func() { s.ctx = first }()
	tab := s
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(Navigator.prototype, "gpu", {get: () => undefined});`,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	tab.open()
	tab.waitText("model-message", "This browser has no WebGPU, so it cannot generate images.")
	if got := tab.text("gpu-name"); got != "none" {
		tab.t.Errorf("GPU %q without WebGPU", got)
	}
	if !pageEval[bool](tab, `document.getElementById("generate-start").disabled`) {
		tab.t.Error("Generate is enabled without WebGPU")
	}
	// The editor, the prompt and the library still work.
	n := len(tab.boxes())
	tab.do(chromedp.Focus(chromedp.ID("layout-canvas")))
	tab.key("+")
	if got := len(tab.boxes()); got != n+1 {
		tab.t.Errorf("%d boxes after adding one without WebGPU, want %d", got, n+1)
	}
	tab.key(kb.Delete)
	tab.waitText("prompt-tokens", "/ 77 tokens")
	if len(tab.subjectWords()) == 0 {
		tab.t.Error("the library is empty without WebGPU")
	}
}

// appNewModel restarts the server with another model (the person converted a new one): the page
// reads the new model from the server, not the saved copy of the old one, saves it in place of
// the old one, and refuses the old model's subjects by name.
func appNewModel(s *appSite, old appIdentity) {
	s.stop()
	dir := filepath.Join(s.dir, "model2")
	if _, err := weights.WriteTiny(dir, weights.TinyOptions{Seed: 7}); err != nil {
		s.t.Fatal(err)
	}
	id := appModelIdentity(s.t, dir)
	if id.model == old.model {
		s.t.Fatal("the second model has the first one's identity")
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.modelDir = dir
	s.startServer()
	s.open()
	s.waitText("model-name", id.model.TextEncoder)
	if got := s.text("model-offline"); got != "not saved yet" {
		s.t.Errorf("offline copy %q for a model never saved", got)
	}
	prompt := pageEval[string](s, `document.getElementById("prompt").value`)
	s.waitText("prompt-tokens", fmt.Sprintf("%d / 77 tokens", len(tok.Encode(prompt))))

	s.click("#model-load")
	s.waitText("model-offline", "saved and verified")
	s.waitFor(`caches.keys().then(k => k.filter(n => n.startsWith("model-")).length === 1)`, "the old model's cache to go")
	s.waitFor(`!document.getElementById("generate-start").disabled`, "the new model to load")
	s.click("#generate-start")
	s.waitText("settings-message", "was made for "+old.model.Family+" text encoder "+old.model.TextEncoder[:8])
}
