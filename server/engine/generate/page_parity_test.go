package generate

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/conesfixture"
	"github.com/cones2web/cones2/wasm/generation"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/weights"
)

// The same request (a prompt that names its subject twice, the subject's residual, a layout)
// through the server's front half (Generator.Conditioning, what Generate runs) and the page's
// (wasm/generation.Build, what the page hands the WebGPU engine, from a library subject and the
// model as the page reads it) gives the same conditioning: token ids, residual rows at both
// occurrences, layout positions and grids bit for bit, the resolved settings, the latents'
// shape and the sampler.
func TestPageAndServerBuildTheSameConditioning(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	width := g.Pipeline.Model.TextEncoder.Width()
	r := &residual.Residual{Word: "dog", Tokens: 1, Width: width, Data: make([]float32, width), Model: g.Model(),
		Created: time.Unix(0, 0).UTC()}
	for j := range r.Data {
		r.Data[j] = float32(math.Sin(float64(j)))
	}
	l := &layout.Layout{Negative: layout.DefaultNegative, Subjects: []layout.Subject{
		{Word: "dog", Weight: 2.5, Boxes: []layout.Box{{X0: 0, Y0: 0.2, X1: 0.5, Y1: 0.9}}},
		{Word: "beach", Weight: 2, Boxes: []layout.Box{{X0: 0, Y0: 0.6, X1: 1, Y1: 1}}}}}
	s := settings.Defaults(0, 0) // the server takes the model's size
	s.Prompt, s.Steps, s.GuidanceSteps, s.Seed = "a dog and a dog on the beach", 4, 3, 11

	server, err := g.Conditioning(Request{Settings: s, Residuals: []*residual.Residual{r}, Layout: l})
	if err != nil {
		t.Fatal(err)
	}

	// The page: the model from its config files, the residual as a library subject, the size
	// named in the form.
	folder, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := folder.Describe()
	if err != nil {
		t.Fatal(err)
	}
	pm := request.Model{ID: residual.Model{Family: weights.ModelFamily(folder.TextEncoder), TextEncoder: g.Pipeline.Fingerprint},
		Networks: desc, Scheduler: folder.Scheduler}
	file, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sub := library.Subject{ID: library.VectorID(r.Data), Word: r.Word, Data: file}
	form := s
	form.Width, form.Height = server.Settings.Width, server.Settings.Height
	page, rec, err := generation.Build(conesfixture.Tokenizer(t, v), pm, form, l, []library.Subject{sub})
	if err != nil {
		t.Fatal(err)
	}

	var tokens []int
	for _, row := range server.Residuals {
		tokens = append(tokens, row.Token)
	}
	if !slices.Equal(tokens, []int{2, 5}) || !slices.Equal(server.Positions[0], []int{2, 5}) {
		t.Fatalf("server: residual rows at %v, dog's layout positions %v; want both occurrences, 2 and 5", tokens, server.Positions[0])
	}
	same := func(what string, a, b any) {
		t.Helper()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differ: server %v, page %v", what, a, b)
		}
	}
	same("prompt ids", server.Prompt, page.Prompt)
	same("negative ids", server.Negative, page.Negative)
	same("residual rows", server.Residuals, page.Residuals)
	same("layout positions", server.Positions, page.Positions)
	same("latent shape", server.LatentShape, page.LatentShape)
	same("sampler config", server.Scheduler.Config(), page.Scheduler.Config())
	if len(server.Grids) == 0 || len(server.Grids) != len(page.Grids) {
		t.Fatalf("grids for %d query lengths on the server, %d on the page", len(server.Grids), len(page.Grids))
	}
	for n, want := range server.Grids {
		got := page.Grids[n]
		if len(got) != len(want) {
			t.Fatalf("grid %d: %d values on the page, %d on the server", n, len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("grid %d value %d: page %v, server %v", n, i, got[i], want[i])
			}
		}
	}
	ps, ss := page.Settings, server.Settings
	ps.Subjects = nil
	same("resolved settings", ss, ps)
	if len(rec.Subjects) != 1 || rec.Subjects[0].Residual != sub.ID || len(rec.Layout) == 0 || rec.Format != settings.Format {
		t.Errorf("the page's record %+v does not name the subject by its residual or lacks the layout", rec)
	}
}
