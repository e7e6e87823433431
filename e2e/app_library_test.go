package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cones2web/cones2/cones/residual"
)

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
	appWordClash(s, f)
	s.checkInside("#library", "#subject-list button")

	// Rename dog to rex: the boxes follow, the prompt is left as typed.
	s.click(`button[aria-label="Rename dog"]`)
	s.checkInside("#library", "#subject-list button, #subject-list input")
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

// appWordClash imports another residual whose word the library already has: the page says so
// in its own dialog and does what the person picks: keep both (under the word the question
// names), don't import (also Escape), or replace (with Undo).
func appWordClash(s *appSite, f appResidualFiles) {
	ask := func() string {
		s.upload("residual-import", f.otherDog)
		s.waitFor(`document.getElementById("import-clash").open`, "the question about the taken word")
		return s.text("import-clash")
	}
	q := ask()
	for _, want := range []string{`already has a subject called "dog" (from dog.pt`, "from other-dog.safetensors", `call the new one "dog2"`, "Keep both (new one: dog2)", "Replace dog", "Don't import"} {
		if !strings.Contains(q, want) {
			s.t.Errorf("the question %q does not say %q", q, want)
		}
	}
	s.click("#import-keep")
	s.waitText("library-message", `dog2 (from other-dog.safetensors) is in the library beside dog: write "dog2" in the prompt`)
	if got := s.subjectWords(); !slices.Equal(got, []string{"dog", "dog2", "mug"}) {
		s.t.Fatalf("library after keeping both %v", got)
	}
	s.click(`button[aria-label="Delete dog2"]`)
	s.waitText("library-message", "Deleted dog2.")

	ask()
	s.key(kb.Escape)
	s.waitText("library-message", "other-dog.safetensors: not imported; the library keeps its dog.")
	ask()
	s.click("#import-skip")
	s.waitFor(`!document.getElementById("import-clash").open`, "the dialog to close")
	if got := s.subjectWords(); !slices.Equal(got, []string{"dog", "mug"}) {
		s.t.Fatalf("library after not importing %v", got)
	}

	ask()
	s.click("#import-replace")
	s.waitText("library-message", "dog (from other-dog.safetensors) replaced the dog from dog.pt")
	if got := s.subjectWords(); !slices.Equal(got, []string{"dog", "mug"}) {
		s.t.Fatalf("library after replacing %v", got)
	}
	// Undo brings the first dog back (the export below checks its vector).
	s.click(`button[aria-label="Undo replacing dog"]`)
	s.waitText("library-message", "Restored dog.")
	if got := s.subjectWords(); !slices.Equal(got, []string{"dog", "mug"}) {
		s.t.Fatalf("library after undoing the replace %v", got)
	}
}

// checkInside fails the test for each element matching sel that reaches outside the panel
// matching panel (a button pushed past the panel's border).
func (s *appSite) checkInside(panel, sel string) {
	s.t.Helper()
	out := pageEval[[]string](s, fmt.Sprintf(`(() => {
		const p = document.querySelector(%q).getBoundingClientRect();
		return [...document.querySelectorAll(%q)].filter(e => { const r = e.getBoundingClientRect();
			return r.left < p.left - 0.5 || r.right > p.right + 0.5 || r.top < p.top - 0.5 || r.bottom > p.bottom + 0.5; })
			.map(e => (e.getAttribute("aria-label") || e.textContent) + " at " + Math.round(e.getBoundingClientRect().left) +
				"-" + Math.round(e.getBoundingClientRect().right) + " px");
	})()`, panel, sel))
	if len(out) > 0 {
		s.t.Errorf("outside %s (%v px wide): %v", panel, pageEval[float64](s, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().width`, panel)), out)
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
