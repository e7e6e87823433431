package generate

import (
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

// A residual is added at every occurrence of its word (the official rule, and the page's), not
// only the first: a prompt that names a subject twice moves both places, and nothing else. The
// rows come from the shared request builder (cones/request) that Generate uses.
func TestResidualAtEveryOccurrence(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	width := g.Pipeline.Model.TextEncoder.Width()
	const n = 77
	text := weights.Tensor{Shape: []int{2, n, width}, Data: make([]float32, 2*n*width)}
	r := &residual.Residual{Word: "dog", Tokens: 1, Width: width, Data: make([]float32, width)}
	for j := range r.Data {
		r.Data[j] = float32(j + 1)
	}
	// <|startoftext|> a dog and a dog on the beach: "dog" is token 2 and token 5.
	c, err := g.Conditioning(Request{Settings: promptSettings("a dog and a dog on the beach"), Residuals: []*residual.Residual{r}})
	if err != nil {
		t.Fatal(err)
	}
	if err := addRows(text, c.Residuals); err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{2: true, 5: true}
	for row := range 2 {
		for p := range n {
			got := text.Data[(row*n+p)*width : (row*n+p+1)*width]
			moved := row == 1 && want[p]
			for j, x := range got {
				if w := float32(0); moved {
					w = r.Data[j]
					if x != w {
						t.Fatalf("row %d position %d value %d: %v, want the residual's %v", row, p, j, x, w)
					}
				} else if x != w {
					t.Fatalf("row %d position %d value %d changed to %v (only the conditional row at 2 and 5 may move)", row, p, j, x)
				}
			}
		}
	}
}

// layoutGrids builds the layout's weight maps for a latent of lh×lw the way Generate does
// (cones/request), for tests that call the UNet directly.
func layoutGrids(t *testing.T, g *Generator, l *layout.Layout, prompt string, lh, lw int) map[int][]float32 {
	t.Helper()
	f := g.Pipeline.Model.VAE.DownsampleFactor()
	s := settings.Defaults(lw*f, lh*f)
	s.Prompt = prompt
	c, err := g.Conditioning(Request{Settings: s, Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	return c.Grids
}

// scheduler is the sampler Generate would run for name (cones/request's, from the model
// folder's scheduler config).
func (g *Generator) scheduler(name string) (schedule.Scheduler, error) {
	m, err := g.RequestModel()
	if err != nil {
		return nil, err
	}
	return request.Scheduler(name, m.Scheduler)
}
