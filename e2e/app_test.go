package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/residual"
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
	t.Run("a browser without WebGPU is told why", func(t *testing.T) { s.t = t; appNoWebGPU(s) })
	t.Run("a new build replaces the old files", func(t *testing.T) { s.t = t; appNewBuild(s) })
	t.Run("works after the server stops", func(t *testing.T) { s.t = t; appOffline(s) })
	t.Run("a new model replaces the saved one", func(t *testing.T) { s.t = t; appNewModel(s, id) })
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
	otherDog           string // another residual whose word is also "dog"
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
	otherDog := *dog
	otherDog.Word, otherDog.Data = "dog", make([]float32, len(dog.Data))
	for i, v := range dog.Data {
		otherDog.Data[i] = -v
	}
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
		otherDog:   s.writeFile("other-dog.safetensors", ours(otherDog, id.model)),
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
	// SwiftShader runs shaders on the CPU, and the fixture model is small: the engine keeps its
	// weights f32 there, and the memory plan says so.
	if got := s.text("gpu-memory"); !strings.Contains(got, "largest buffer") || !strings.Contains(got, "f32, faster") {
		s.t.Errorf("GPU memory %q, want the plan with f32 weights", got)
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
