package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/server/jobs"
	"github.com/cones2web/cones2/server/web"
)

// TestTrainPage trains a subject from the page like a person: photos chosen (thumbnails shown),
// a word typed, training started on the server, its progress watched, the residual landing in
// the subject library, and the new subject used in a generation on the GPU. It also checks the
// page's refusals and cancel, and that the section says clearly when the server is gone.
func TestTrainPage(t *testing.T) {
	s := startTrainSite(t)
	photos := []string{}
	for i := range 3 {
		photos = append(photos, s.writeFile(fmt.Sprintf("plush-%d.png", i), trainPhoto(t, i)))
	}
	t.Run("the section finds the training server", func(t *testing.T) {
		s.t = t
		s.waitText("train-server", "Trains on the server")
		s.waitFor(`!document.getElementById("train-start").disabled`, "Train to be enabled")
	})
	t.Run("bad input is refused with a message", func(t *testing.T) { s.t = t; trainRefusals(s, photos) })
	t.Run("train, watch progress, get the subject", func(t *testing.T) { s.t = t; trainSubject(s, photos) })
	t.Run("cancel a running job", func(t *testing.T) { s.t = t; trainCancel(s, photos) })
	t.Run("generate with the trained subject", func(t *testing.T) { s.t = t; trainGenerate(s) })
	t.Run("no training server", func(t *testing.T) {
		s.t = t
		words := s.subjectWords()
		s.stop()
		s.open()
		s.waitText("train-server", "cannot be reached")
		if !pageEval[bool](s, `document.getElementById("train-start").disabled`) {
			t.Error("Train is enabled without a training server")
		}
		if got := s.subjectWords(); !slices.Equal(got, words) {
			t.Errorf("library offline %v, online %v", got, words)
		}
	})
	s.t = t
}

// startTrainSite is startAppSite with the server's training API mounted, as `cones serve` runs.
func startTrainSite(t *testing.T) *appSite {
	t.Helper()
	return newAppSite(t, mountTraining)
}

// mountTraining adds the training API, with its jobs under the site's data folder.
func mountTraining(s *appSite, srv *web.Server) func() {
	lim := jobs.DefaultLimits()
	lim.MaxSteps = 600
	m, err := jobs.Open(jobs.Config{Dir: filepath.Join(s.dir, "data", "jobs"),
		Runner: &jobs.PipelineRunner{Dir: s.modelDir, Limits: lim.Image}, Limits: lim, CheckpointEvery: 50})
	if err != nil {
		s.t.Fatal(err)
	}
	m.Mount(srv.Handle)
	return func() { m.Close() }
}

// trainPhoto is a photo of a made-up plush toy: a coloured blob on a background.
func trainPhoto(t *testing.T, i int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			c := color.RGBA{uint8(180 + 20*i), 200, 230, 255}
			if dx, dy := x-80-10*i, y-60; dx*dx+dy*dy < 1500 {
				c = color.RGBA{200, uint8(60 + 30*i), 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG claims 60000×60000 pixels in a few bytes: the page's own checks pass it (a small
// PNG), the server reads its header and refuses it.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func (s *appSite) thumbCount() int {
	return pageEval[int](s, `document.querySelectorAll("#train-thumbs li img").length`)
}

func (s *appSite) clearPhotos() {
	for s.thumbCount() > 0 {
		s.click(`#train-thumbs li button`)
	}
}

func trainRefusals(s *appSite, photos []string) {
	s.typeInto("train-word", "plush")
	s.typeInto("train-steps", "4")
	// Too few photos: the page says so before sending anything.
	s.upload("train-photos", photos[0])
	s.click("#train-start")
	s.waitText("train-message", "1 photos chosen; choose 3 to 10")
	// A word that is two words.
	s.upload("train-photos", photos[1], photos[2])
	s.typeInto("train-word", "my plush")
	s.click("#train-start")
	s.waitText("train-message", "is not one word")
	if pageEval[string](s, `document.getElementById("train-word").getAttribute("aria-invalid")`) != "true" {
		s.t.Error("the word field is not marked invalid")
	}
	// A decompression bomb passes the page's checks; the server reads its header and refuses it.
	s.typeInto("train-word", "plush")
	bomb := s.writeFile("huge.png", bombPNG())
	s.upload("train-photos", bomb)
	s.click("#train-start")
	s.waitText("train-message", "The server did not start training: huge.png: 60000x60000 pixels")
	if !strings.Contains(pageEval[string](s, `document.getElementById("train-message").className`), "bad") {
		s.t.Error("the refusal is not shown as an error")
	}
	s.clearPhotos()
}

func trainSubject(s *appSite, photos []string) {
	s.upload("train-photos", photos...)
	if n := s.thumbCount(); n != 3 {
		s.t.Fatalf("%d thumbnails, want 3", n)
	}
	s.waitFor(`[...document.querySelectorAll("#train-thumbs img")].every(i => i.complete && i.naturalWidth > 0)`, "the thumbnails to show")
	s.typeInto("train-word", "plush")
	s.typeInto("train-steps", "6")
	s.click("#train-start")
	// Progress streams in: a step with its loss, rate and time left, on a moving bar.
	got := s.waitTextWithin("train-text", "Step ", 5*time.Minute)
	if !strings.Contains(got, " of 6 · loss ") {
		s.t.Errorf("progress text %q", got)
	}
	if !pageEval[bool](s, `document.getElementById("train-start").disabled && !document.getElementById("train-cancel").disabled`) {
		s.t.Error("while training, Train should be disabled and Cancel enabled")
	}
	s.waitTextWithin("train-message", "Added plush to your subjects", 5*time.Minute)
	if v := pageEval[float64](s, `document.getElementById("train-progress").value`); v != 1 {
		s.t.Errorf("progress bar at %v after training", v)
	}
	if got := s.text("train-text"); got != "Done: 6 steps." {
		s.t.Errorf("progress text after training %q", got)
	}
	if !slices.Contains(s.subjectWords(), "plush") {
		s.t.Fatalf("library %v has no plush", s.subjectWords())
	}
	if s.thumbCount() != 0 {
		s.t.Error("the photos stay chosen after a successful training")
	}
	// The library is IndexedDB: a reload keeps the subject and does not add it twice.
	s.open()
	if got := s.subjectWords(); !slices.Contains(got, "plush") || len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
		s.t.Errorf("library after reload %v", got)
	}
}

func trainCancel(s *appSite, photos []string) {
	s.upload("train-photos", photos...)
	s.typeInto("train-word", "other")
	s.typeInto("train-steps", "500")
	s.click("#train-start")
	s.waitTextWithin("train-text", "Step ", 5*time.Minute)
	s.click("#train-cancel")
	s.waitTextWithin("train-message", `Training "other" was cancelled`, 2*time.Minute)
	if got := s.text("train-text"); !strings.HasPrefix(got, "Cancelled at step") {
		s.t.Errorf("progress text after cancelling %q", got)
	}
	if slices.Contains(s.subjectWords(), "other") {
		s.t.Error("a cancelled job added a subject")
	}
	if s.thumbCount() != 3 {
		s.t.Error("the photos were not kept after cancelling")
	}
	s.clearPhotos()
}

// trainGenerate loads the model on the GPU and generates with the trained subject in a box.
func trainGenerate(s *appSite) {
	s.click("#model-load")
	s.waitTextWithin("model-offline", "saved and verified", 5*time.Minute)
	s.waitForWithin(`!document.getElementById("generate-start").disabled`, "Generate to be enabled", 5*time.Minute)
	s.typeInto("prompt", "a plush on the beach")
	s.click("#box-clear")
	s.selectOption("#new-word", "plush")
	s.click("#box-add")
	if b := s.boxes(); len(b) != 1 || b[0].Word != "plush" {
		s.t.Fatalf("boxes %+v", b)
	}
	s.waitFor(`document.getElementById("prompt-message").textContent === ""`, "the prompt to be fine")
	s.appSettings(2, 1, "11")
	n := s.galleryCount()
	s.click("#generate-start")
	s.waitTextWithin("step-text", "Done: 2 steps", 10*time.Minute)
	if got := s.galleryCount(); got != n+1 {
		s.t.Fatalf("gallery has %d images, want %d", got, n+1)
	}
	name := pageEval[string](s, `document.querySelector("#gallery-list li a[download]").download`)
	s.forgetDownload(name)
	s.click("#gallery-list li a[download]")
	st, err := settings.FromPNG(s.downloaded(name))
	if err != nil {
		s.t.Fatal(err)
	}
	found := false
	for _, sub := range st.Subjects {
		found = found || sub.Word == "plush"
	}
	if !found || st.Prompt != "a plush on the beach" {
		s.t.Errorf("the image's settings %+v do not use the trained plush", st)
	}
}
