package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cones2web/cones2/cones/layout"
)

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
	// Layout JSON holds boxes only: exporting regions says so instead of dropping them.
	s.click("#layout-export")
	s.waitText("layout-message", "layout JSON holds boxes only")

	// The imported regions are fixed masks: the keyboard does not move them. A reload keeps them.
	before := s.boxes()
	s.open()
	if got := s.boxes(); !slices.Equal(got, before) {
		s.t.Errorf("mask regions after a reload: %+v, before %+v", got, before)
	}
	s.do(chromedp.Focus(chromedp.ID("layout-canvas")))
	s.key("]")
	s.key(kb.ArrowRight)
	if got := s.boxes(); !slices.Equal(got, before) {
		s.t.Errorf("a mask region moved: %+v -> %+v", before, got)
	}
}
