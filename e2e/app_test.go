package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/weights"
)

// TestApp drives the page like a person: it draws, types, imports, renames, exports and deletes,
// reads what the page says back, and finally stops the server and uses the page offline. The
// subtests run in order on one tab; each starts from what the previous ones left, as a session
// at the page would.
func TestApp(t *testing.T) {
	s := startAppSite(t)
	id := appModelIdentity(t, s.modelDir)
	files := appTestResiduals(t, s, id)

	t.Run("starts and describes the model", func(t *testing.T) { s.t = t; appStarts(s, id) })
	t.Run("layout by mouse and keyboard", func(t *testing.T) { s.t = t; appLayout(s) })
	t.Run("layout JSON export and import", func(t *testing.T) { s.t = t; appLayoutJSON(s) })
	t.Run("subject library", func(t *testing.T) { s.t = t; appLibrary(s, files) })
	t.Run("bad input gets a message and loses nothing", func(t *testing.T) { s.t = t; appBadInput(s, files) })
	t.Run("phone width, touch and keyboard", func(t *testing.T) { s.t = t; appPhoneAndKeyboard(s) })
	t.Run("official layout import", func(t *testing.T) { s.t = t; appOfficial(s) })
	t.Run("model saved for offline use", func(t *testing.T) { s.t = t; appSaveModel(s) })
	t.Run("generate, gallery, download, reuse, cancel", func(t *testing.T) { s.t = t; appGenerate(s) })
	t.Run("a lost GPU is said and survived", func(t *testing.T) { s.t = t; appGPULost(s) })
	t.Run("a new build replaces the old files", func(t *testing.T) { s.t = t; appNewBuild(s) })
	t.Run("works after the server stops", func(t *testing.T) { s.t = t; appOffline(s) })
	s.t = t
}

// appIdentity is what residual files must name: the served model's text encoder.
type appIdentity struct {
	model residual.Model
	width int
	size  int // native image size
	files int // files in the manifest
}

func appModelIdentity(t *testing.T, dir string) appIdentity {
	t.Helper()
	f, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Weights(weights.TextEncoderDir)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := w.Fingerprint(m.TextEncoder)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, weights.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	man, err := weights.ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	return appIdentity{
		model: residual.Model{Family: weights.ModelFamily(f.TextEncoder), TextEncoder: fp},
		width: f.TextEncoder.HiddenSize, size: f.UNet.SampleSize * 8, files: len(man.Files),
	}
}

// appResidualFiles are the files the tests import: the official .pt files of the fixtures, our
// format made from one of them, and files that must be refused.
type appResidualFiles struct {
	dogPT, mugPT       string
	mugOurs            string
	mugVector          []float32
	dogVector          []float32
	broken, otherModel string
	wrongWidth, huge   string
	narrowPT           string // an official .pt file of half the text encoder's width
}

func appTestResiduals(t *testing.T, s *appSite, id appIdentity) appResidualFiles {
	t.Helper()
	dir := filepath.Join(s.variant.ExpectedDir(), "residuals")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dogPT := read("dog.pt")
	dog, err := residual.ImportPT("dog.pt", dogPT, "")
	if err != nil {
		t.Fatal(err)
	}
	mug, err := residual.ImportPT("mug.pt", read("mug.pt"), "")
	if err != nil {
		t.Fatal(err)
	}
	ours := func(r residual.Residual, m residual.Model) []byte {
		r.Model, r.Created = m, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	narrow := *mug
	narrow.Word, narrow.Width, narrow.Data = "narrow", id.width/2, mug.Data[:id.width/2]
	other := *mug
	other.Word = "stranger"
	return appResidualFiles{
		dogPT:      filepath.Join(dir, "dog.pt"),
		mugPT:      filepath.Join(dir, "mug.pt"),
		mugOurs:    s.writeFile("mug.safetensors", ours(*mug, id.model)),
		mugVector:  mug.Data,
		dogVector:  dog.Data,
		broken:     s.writeFile("broken.safetensors", []byte("this is not a safetensors file at all, just text")),
		otherModel: s.writeFile("stranger.safetensors", ours(other, residual.Model{Family: "sd1", TextEncoder: "0123456789abcdef"})),
		wrongWidth: s.writeFile("narrow.safetensors", ours(narrow, id.model)),
		huge:       s.writeFile("huge.pt", make([]byte, 5<<20)),
		narrowPT:   s.writeFile("narrowpt.pt", narrowedPT(t, dogPT, id.width)),
	}
}

// narrowedPT rewrites a torch.save residual of shape [width] as one of shape [width/2] (a view
// of the first half of the same storage): a valid .pt file made for a narrower text encoder.
func narrowedPT(t *testing.T, pt []byte, width int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pt), int64(len(pt)))
	if err != nil {
		t.Fatal(err)
	}
	// The pickle's size and stride: BININT1 offset 0, BININT1 width, TUPLE1.
	shape := []byte{'K', 0, 'K', byte(width), 0x85}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	patched := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, "data.pkl") && bytes.Contains(data, shape) {
			data = bytes.Replace(data, shape, []byte{'K', 0, 'K', byte(width / 2), 0x85}, 1)
			patched = true
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !patched || width > 255 {
		t.Fatalf("the fixture's .pt file does not hold a [%d] tensor in the expected pickle form", width)
	}
	return out.Bytes()
}

func appStarts(s *appSite, id appIdentity) {
	if got := s.waitText("model-name", id.model.Family); !strings.Contains(got, id.model.TextEncoder) {
		s.t.Errorf("model name %q does not show the fingerprint %s", got, id.model.TextEncoder)
	}
	if got := s.text("model-size"); !strings.Contains(got, fmt.Sprintf("in %d files", id.files)) {
		s.t.Errorf("model size %q", got)
	}
	if got := s.text("gpu-name"); !strings.Contains(got, "swiftshader") {
		s.t.Errorf("GPU %q, want the SwiftShader adapter", got)
	}
	if got := s.text("gpu-memory"); !strings.Contains(got, "largest buffer") {
		s.t.Errorf("GPU memory %q", got)
	}
	s.waitText("prompt-tokens", "/ 77 tokens")
	if got := pageEval[string](s, `document.getElementById("width").value`); got != strconv.Itoa(id.size) {
		s.t.Errorf("width field %s, want the model's native %d", got, id.size)
	}
	if got := pageEval[string](s, `(() => { const c = document.getElementById("layout-canvas");
		return c.dataset.width + "x" + c.dataset.height + " " + (c.width / c.height); })()`); got != fmt.Sprintf("%dx%d 1", id.size, id.size) {
		s.t.Errorf("canvas %s, want the output's %dx%d", got, id.size, id.size)
	}
	if got := s.text("model-offline"); got != "not saved yet" {
		s.t.Errorf("offline copy %q on a fresh profile", got)
	}
}

// appBoxRow is one row of the page's box table.
type appBoxRow struct {
	Word       string
	X, Y, W, H int
}

var appPlaceRE = regexp.MustCompile(`x (\d+), y (\d+), (\d+)×(\d+) px`)

func (s *appSite) boxes() []appBoxRow {
	s.t.Helper()
	raw := pageEval[[]byte](s, `[...document.querySelectorAll("#box-list tr")].map(tr =>
		({word: tr.querySelector("select").value, place: tr.children[3].textContent}))`)
	var rows []struct{ Word, Place string }
	if err := json.Unmarshal(raw, &rows); err != nil {
		s.t.Fatal(err)
	}
	var out []appBoxRow
	for _, r := range rows {
		m := appPlaceRE.FindStringSubmatch(r.Place)
		if m == nil {
			s.t.Fatalf("box place %q unreadable", r.Place)
		}
		b := appBoxRow{Word: r.Word}
		b.X, _ = strconv.Atoi(m[1])
		b.Y, _ = strconv.Atoi(m[2])
		b.W, _ = strconv.Atoi(m[3])
		b.H, _ = strconv.Atoi(m[4])
		out = append(out, b)
	}
	return out
}

// nearPx reports whether got is within 2 output pixels of want: pointer positions go through the
// CSS scale of the canvas, so a drag lands on the nearest pixel, not an exact one.
func nearPx(got, want int) bool { return math.Abs(float64(got-want)) <= 2 }

func (s *appSite) markedWords() []string {
	s.t.Helper()
	raw := pageEval[[]byte](s, `[...document.querySelectorAll("#prompt-marks mark[data-word]")].map(m => m.dataset.word + "=" + m.textContent)`)
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func appLayout(s *appSite) {
	s.typeInto("prompt", "a mug and a dog on the beach")
	s.waitText("prompt-tokens", "10 / 77 tokens")
	size := pageEval[int](s, `+document.getElementById("layout-canvas").dataset.width`)
	px := func(f float64) int { return int(math.Round(f * float64(size))) }

	s.selectOption("#new-word", "mug")
	s.drag(0.1, 0.1, 0.45, 0.6)
	s.selectOption("#new-word", "dog")
	s.drag(0.55, 0.4, 0.95, 0.95)
	b := s.boxes()
	if len(b) != 2 || b[0].Word != "mug" || b[1].Word != "dog" {
		s.t.Fatalf("boxes after drawing two: %+v", b)
	}
	if !nearPx(b[0].X, px(0.1)) || !nearPx(b[0].Y, px(0.1)) || !nearPx(b[0].W, px(0.35)) || !nearPx(b[0].H, px(0.5)) {
		s.t.Errorf("mug box %+v, want about %d,%d %dx%d", b[0], px(0.1), px(0.1), px(0.35), px(0.5))
	}
	// The layout words are marked in the prompt as they are placed.
	if got := s.markedWords(); !slices.Equal(got, []string{"mug=mug", "dog=dog"}) {
		s.t.Errorf("marked words %v", got)
	}

	// Move the dog box by its body, then resize it by its bottom-right corner.
	before := b[1]
	s.drag(0.75, 0.7, 0.65, 0.6)
	b = s.boxes()
	if !nearPx(b[1].X, before.X-px(0.1)) || !nearPx(b[1].Y, before.Y-px(0.1)) || b[1].W != before.W || b[1].H != before.H {
		s.t.Errorf("moved dog box %+v from %+v", b[1], before)
	}
	moved := b[1]
	cx, cy := float64(moved.X+moved.W)/float64(size), float64(moved.Y+moved.H)/float64(size)
	s.drag(cx, cy, cx+0.03, cy+0.03)
	b = s.boxes()
	if b[1].X != moved.X || b[1].Y != moved.Y || !nearPx(b[1].W, moved.W+px(0.03)) || !nearPx(b[1].H, moved.H+px(0.03)) {
		s.t.Errorf("resized dog box %+v from %+v", b[1], moved)
	}

	// The keyboard does the same: arrows move by one latent cell, Shift+arrows resize.
	resized := b[1]
	s.do(chromedp.Focus(chromedp.ID("layout-canvas")))
	s.key(kb.ArrowLeft)
	s.key(kb.ArrowUp, chromedp.ModifierShift)
	b = s.boxes()
	if b[1].X != resized.X-8 || b[1].H != resized.H-8 || b[1].Y != resized.Y || b[1].W != resized.W {
		s.t.Errorf("after ArrowLeft and Shift+ArrowUp: %+v from %+v", b[1], resized)
	}
	if got := s.text("layout-live"); !strings.Contains(got, "Box 2 of 2 selected") {
		s.t.Errorf("screen reader announcement %q", got)
	}
	// Delete removes the selected box; the table's Delete button does too; draw it again.
	s.key(kb.Delete)
	if n := len(s.boxes()); n != 1 {
		s.t.Fatalf("%d boxes after Delete", n)
	}
	s.drag(0.55, 0.4, 0.95, 0.95)
	if b := s.boxes(); len(b) != 2 || b[1].Word != "dog" {
		s.t.Fatalf("boxes after drawing again: %+v", b)
	}
}

func appLayoutJSON(s *appSite) {
	want := s.boxes()
	s.forgetDownload("layout.json")
	s.click("#layout-export")
	data := s.downloaded("layout.json")
	l, err := layout.Parse(data)
	if err != nil {
		s.t.Fatalf("exported layout does not parse: %v\n%s", err, data)
	}
	if len(l.Subjects) != 2 || l.Subjects[0].Word != "mug" || l.Subjects[1].Word != "dog" || len(l.Subjects[1].Boxes) != 1 {
		s.t.Fatalf("exported layout %+v", l)
	}
	size := float64(pageEval[int](s, `+document.getElementById("layout-canvas").dataset.width`))
	if x0 := l.Subjects[1].Boxes[0].X0 * size; math.Abs(x0-float64(want[1].X)) > 0.01 {
		s.t.Errorf("exported dog box starts at %v px, the page showed %d", x0, want[1].X)
	}

	s.click("#box-clear")
	if n := len(s.boxes()); n != 0 {
		s.t.Fatalf("%d boxes after clearing", n)
	}
	s.upload("layout-import", filepath.Join(s.dlDir, "layout.json"))
	s.waitText("layout-message", "Imported layout.json: 2 boxes")
	if got := s.boxes(); !slices.Equal(got, want) {
		s.t.Errorf("imported boxes %+v, exported %+v", got, want)
	}
}

func (s *appSite) subjectWords() []string {
	s.t.Helper()
	raw := pageEval[[]byte](s, `[...document.querySelectorAll("#subject-list tr td.word")].map(td => td.textContent)`)
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func appLibrary(s *appSite, f appResidualFiles) {
	s.upload("residual-import", f.dogPT)
	s.waitText("library-message", "Imported dog (from dog.pt)")
	s.dropFiles("#drop-zone", f.mugOurs) // dragged from the desktop onto the library
	s.waitText("library-message", "Imported mug (from mug.safetensors)")
	if got := s.subjectWords(); !slices.Equal(got, []string{"dog", "mug"}) {
		s.t.Fatalf("library %v", got)
	}
	if got := s.text("prompt-words"); !strings.Contains(got, "Subjects: dogmug") && !strings.Contains(got, "Subjects: mugdog") {
		s.t.Errorf("bound subjects %q", got)
	}
	// The same residual again is recognised, not duplicated.
	s.upload("residual-import", f.dogPT)
	s.waitText("library-message", `already in the library as "dog"`)

	// Rename dog to rex: the boxes follow, the prompt is left as typed.
	s.click(`button[aria-label="Rename dog"]`)
	s.do(chromedp.Focus(chromedp.CSS(`input[aria-label="New word for dog"]`)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent("rex\r"))
	s.waitText("library-message", "Renamed dog to rex.")
	if got := s.subjectWords(); !slices.Equal(got, []string{"mug", "rex"}) {
		s.t.Fatalf("library after rename %v", got)
	}
	if b := s.boxes(); b[1].Word != "rex" {
		s.t.Errorf("dog's box is bound to %q after the rename", b[1].Word)
	}

	// Export: the file says the new word and holds the same vector.
	s.forgetDownload("rex.safetensors")
	s.click(`button[aria-label="Export rex"]`)
	r, err := residual.Unmarshal(s.downloaded("rex.safetensors"))
	if err != nil {
		s.t.Fatalf("exported residual: %v", err)
	}
	if r.Word != "rex" || !slices.Equal(r.Data, f.dogVector) {
		s.t.Errorf("exported residual word %q, %d values", r.Word, len(r.Data))
	}

	// Delete, then undo.
	s.click(`button[aria-label="Delete rex"]`)
	s.waitText("library-message", "Deleted rex.")
	if got := s.subjectWords(); !slices.Equal(got, []string{"mug"}) {
		s.t.Fatalf("library after delete %v", got)
	}
	s.click(`button[aria-label="Undo deleting rex"]`)
	s.waitText("library-message", "Restored rex.")

	// The library lives in IndexedDB: a reload keeps it.
	s.open()
	if got := s.subjectWords(); !slices.Equal(got, []string{"mug", "rex"}) {
		s.t.Errorf("library after reload %v", got)
	}
}

func appBadInput(s *appSite, f appResidualFiles) {
	library := s.subjectWords()
	for _, c := range []struct{ file, want string }{
		{f.broken, "broken.safetensors: residual file"},
		{f.otherModel, "was made for sd1 text encoder 01234567"},
		{f.wrongWidth, "is " + strconv.Itoa(len(f.mugVector)/2) + " wide, this text encoder is " + strconv.Itoa(len(f.mugVector)) + " wide"},
		{f.narrowPT, `residual for "narrowpt" is ` + strconv.Itoa(len(f.dogVector)/2) + " wide, this text encoder is " + strconv.Itoa(len(f.dogVector)) + " wide"},
		{f.huge, "huge.pt: 5.2 MB, more than the 4.2 MB this accepts"},
	} {
		s.upload("residual-import", c.file)
		s.waitText("library-message", c.want)
		if !strings.Contains(pageEval[string](s, `document.getElementById("library-message").className`), "bad") {
			s.t.Errorf("message for %s not shown as an error", filepath.Base(c.file))
		}
	}
	if got := s.subjectWords(); !slices.Equal(got, library) {
		s.t.Errorf("refused files changed the library: %v -> %v", library, got)
	}

	// A layout word missing from the prompt, then a prompt over the token limit.
	s.typeInto("prompt", "a mug on the beach")
	s.waitText("prompt-message", `"rex" has boxes in the layout but is not in the prompt`)
	if pageEval[string](s, `document.getElementById("prompt").getAttribute("aria-invalid")`) != "true" {
		s.t.Error("prompt not marked invalid")
	}
	s.typeInto("prompt", strings.Repeat("tree ", 80)+"rex and mug")
	s.waitText("prompt-message", "shorten it by")
	if !pageEval[bool](s, `!!document.querySelector("#prompt-marks mark.over")`) {
		s.t.Error("the cut-off end of the prompt is not marked")
	}
	s.typeInto("prompt", "a mug and a rex on the beach")
	s.waitFor(`document.getElementById("prompt-message").textContent === ""`, "the prompt problems to clear")

	// A broken layout file changes nothing.
	boxes := s.boxes()
	s.upload("layout-import", s.writeFile("bad.json", []byte(`{"version": 1, "subjects": [{"word": "rex", "boxes": [{"x0": 2}]}]}`)))
	s.waitText("layout-message", "bad.json was not imported")
	if got := s.boxes(); !slices.Equal(got, boxes) {
		s.t.Errorf("a refused layout changed the boxes: %+v -> %+v", boxes, got)
	}
}

func appPhoneAndKeyboard(s *appSite) {
	s.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateTouch))
	defer s.do(chromedp.EmulateViewport(1280, 1000))
	s.open()
	if over := pageEval[float64](s, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		s.t.Errorf("the page is %v px wider than a phone's screen", over)
		s.t.Logf("too wide: %v", pageEval[[]string](s, `[...document.querySelectorAll("*")].filter(e =>
			e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + "#" + e.id + "." + e.className).slice(0, 10)`))
	}
	if w := pageEval[float64](s, `document.getElementById("layout-canvas").getBoundingClientRect().width`); w > 390 {
		s.t.Errorf("the canvas is %v px wide on a 390 px screen", w)
	}
	// Draw a box with a finger.
	n := len(s.boxes())
	s.touchDrag(0.05, 0.7, 0.25, 0.95) // below the mug box, left of the rex box
	if b := s.boxes(); len(b) != n+1 {
		s.t.Fatalf("%d boxes after a touch drag, want %d", len(b), n+1)
	} else if last := b[n]; !nearPx(last.W, int(math.Round(0.2*float64(pageEval[int](s, `+document.getElementById("layout-canvas").dataset.width`))))) {
		s.t.Errorf("touch-drawn box %+v", last)
	}
	s.click(fmt.Sprintf(`button[aria-label="Delete box %d"]`, n+1))

	// Every control has a name a screen reader can say.
	unnamed := pageEval[[]string](s, `[...document.querySelectorAll("button, input, select, textarea, canvas[tabindex]")].filter(e => {
		if (e.getAttribute("aria-label")) return false;
		if (e.tagName === "BUTTON") return e.textContent.trim() === "";
		return !(e.id && document.querySelector('label[for="' + e.id + '"]'));
	}).map(e => e.outerHTML.slice(0, 80))`)
	if len(unnamed) > 0 {
		s.t.Errorf("controls without an accessible name: %q", unnamed)
	}
	// Keyboard focus is visible.
	s.do(chromedp.Focus(chromedp.ID("prompt")))
	s.key("\t")
	if style := pageEval[string](s, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
		s.t.Errorf("focused %s shows no outline", pageEval[string](s, `document.activeElement.id`))
	}
}

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
	s.stop()
	s.writeWebFile("build-note.txt", []byte("a file that changes the build's version\n"))
	s.startServer()
	s.open()
	version := pageEval[string](s, `document.body.dataset.version`)
	if version == old {
		s.t.Fatalf("the build version did not change (%s)", version)
	}
	s.waitForWithin(fmt.Sprintf(`caches.keys().then(k => { const shells = k.filter(n => n.startsWith("shell-"));
		return shells.length === 1 && shells[0] === "shell-%s"; })`, version), "the old shell cache to be replaced", time.Minute)
	s.waitText("model-offline", "saved and verified")
}

// appOfficialConfig writes the official guidance configuration of the fixtures' layout run, from
// the settings cases.json records (the format of Cones-V2's guidance_config_example.json).
func appOfficialConfig(s *appSite) string {
	s.t.Helper()
	var cases struct {
		LayoutSampling struct {
			Prompt       string                       `json:"prompt"`
			SubjectList  [][]any                      `json:"subject_list"`
			ColorContext map[string][2]any            `json:"color_context"`
			Residuals    map[string]string            `json:"residuals"`
			Runs         []map[string]json.RawMessage `json:"runs"`
		} `json:"layout_sampling"`
	}
	b, err := os.ReadFile(filepath.Join(s.variant.ExpectedDir(), "cases.json"))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		s.t.Fatal(err)
	}
	ls := cases.LayoutSampling
	run := ls.Runs[0]
	conf := []map[string]any{{
		"prompt": ls.Prompt, "residual_dict": ls.Residuals, "color_context": ls.ColorContext,
		"guidance_steps": run["guidance_steps"], "guidance_weight": run["guidance_weight"],
		"weight_negative": run["weight_negative"], "layout": "layout.png", "subject_list": ls.SubjectList,
	}}
	out, err := json.Marshal(conf)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.writeFile("guidance_config.json", out)
}

func appOfficial(s *appSite) {
	conf := appOfficialConfig(s)
	png := filepath.Join(s.variant.ExpectedDir(), "layout.png")
	s.upload("official-import", png, conf)
	msg := s.waitText("layout-message", "subject regions")
	b := s.boxes()
	words := []string{}
	for _, r := range b {
		words = append(words, r.Word)
	}
	slices.Sort(words)
	if !slices.Equal(words, []string{"dog", "mug"}) {
		s.t.Fatalf("official layout regions %+v", b)
	}
	if !strings.Contains(msg, "Import the residuals of dog") {
		s.t.Errorf("message %q does not name the missing residual", msg)
	}
	if got := pageEval[string](s, `document.getElementById("prompt").value`); !strings.Contains(got, "mug") || !strings.Contains(got, "dog") {
		s.t.Errorf("prompt %q not taken from the configuration", got)
	}
	// The imported regions are fixed masks: the keyboard does not move them.
	before := s.boxes()
	s.do(chromedp.Focus(chromedp.ID("layout-canvas")))
	s.key("]")
	s.key(kb.ArrowRight)
	if got := s.boxes(); !slices.Equal(got, before) {
		s.t.Errorf("a mask region moved: %+v -> %+v", before, got)
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
	s.waitText("step-text", "Step 1 of 3")
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
	s.screenshot() // the page after a generation, for the README

	// Download the PNG: it carries the settings.
	name := pageEval[string](s, `document.querySelector("#gallery-list li a[download]").download`)
	s.forgetDownload(name)
	s.click("#gallery-list li a[download]")
	png := s.downloaded(name)
	got, err := library.SettingsFromPNG(png)
	if err != nil {
		s.t.Fatalf("downloaded %s: %v", name, err)
	}
	if got.Seed != 1234 || got.Steps != 3 || got.GuidedSteps != 2 || got.Width != 64 || got.Prompt != "a mug and a rex on the beach" || len(got.Subjects) != 2 {
		s.t.Errorf("settings in the PNG: %+v", got)
	}

	// "Use these settings again" brings them back after the form changed.
	s.typeInto("seed", "99")
	s.click(`#gallery-list li button:not([aria-label])`)
	s.waitText("settings-message", "Settings restored")
	if seed := pageEval[string](s, `document.getElementById("seed").value`); seed != "1234" {
		s.t.Errorf("seed after restoring: %s", seed)
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
