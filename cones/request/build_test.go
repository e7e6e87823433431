package request

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

// fixtureModel opens the first fixture model folder's configs and tokenizer (no weights).
func fixtureModel(t *testing.T) (*tokenizer.Tokenizer, Model) {
	t.Helper()
	v := fixture.Variants(t)[0]
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(v.Dir, weights.TokenizerDir))
	if err != nil {
		t.Fatal(err)
	}
	return tok, Model{ID: residual.Model{Family: "test", TextEncoder: "0123456789abcdef"}, Networks: d, Scheduler: f.Scheduler}
}

// testResidual is a residual of word whose row i holds i*1000 + j + 1 at column j.
func testResidual(word string, tokens, width int) *residual.Residual {
	r := &residual.Residual{Word: word, Tokens: tokens, Width: width, Data: make([]float32, tokens*width)}
	for i := range tokens {
		for j := range width {
			r.Data[i*width+j] = float32(i*1000 + j + 1)
		}
	}
	return r
}

func twoDogs(m Model) Input {
	s := settings.Defaults(0, 0)
	// <|startoftext|> a dog and a dog on the beach: "dog" is token 2 and token 5.
	s.Prompt, s.Steps, s.GuidanceSteps = "a dog and a dog on the beach", 2, 1
	l := &layout.Layout{Negative: layout.DefaultNegative, Subjects: []layout.Subject{
		{Word: "dog", Weight: 2.5, Boxes: []layout.Box{{X0: 0, Y0: 0, X1: 0.5, Y1: 1}}}}}
	return Input{Settings: s, Layout: l,
		Residuals: []*residual.Residual{testResidual("dog", 1, m.Networks.TextEncoder.Width())}}
}

// A prompt that names a subject twice gets the residual at both places and the layout map on
// both columns; nothing else moves.
func TestSubjectTwice(t *testing.T) {
	tok, m := fixtureModel(t)
	in := twoDogs(m)
	c, err := Build(tok, m, in)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []int
	for _, r := range c.Residuals {
		tokens = append(tokens, r.Token)
		if r.Word != "dog" || !slices.Equal(r.Vector, in.Residuals[0].Data) {
			t.Errorf("row at %d is %q %v…, want dog's only row", r.Token, r.Word, r.Vector[:2])
		}
	}
	if !slices.Equal(tokens, []int{2, 5}) {
		t.Errorf("residual rows at %v, want [2 5]", tokens)
	}
	if len(c.Positions) != 1 || !slices.Equal(c.Positions[0], []int{2, 5}) {
		t.Errorf("layout positions %v, want [[2 5]]", c.Positions)
	}
	shape := c.LatentShape
	want := m.Networks.UNet.QueryLengths(shape[2], shape[3])
	if len(c.Grids) != len(want) {
		t.Fatalf("grids for %d query lengths, want %v", len(c.Grids), want)
	}
	for _, n := range want {
		g := c.Grids[n]
		if len(g) != n*layout.ContextLen {
			t.Fatalf("grid %d has %d values, want %d", n, len(g), n*layout.ContextLen)
		}
		for col := range layout.ContextLen {
			nonzero := false
			for q := range n {
				nonzero = nonzero || g[q*layout.ContextLen+col] != 0
			}
			if nonzero != (col == 2 || col == 5) {
				t.Errorf("grid %d column %d: nonzero %v", n, col, nonzero)
			}
		}
	}
}

// A multi-token word takes its i-th row at its i-th token.
func TestRowsFollowTokens(t *testing.T) {
	tok, m := fixtureModel(t)
	width := m.Networks.TextEncoder.Width()
	r := testResidual("the beach", 2, width)
	rows, err := Rows(tok, "a dog on the beach, the beach", r, m.ID, width)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, row := range rows {
		got = append(got, [2]int{row.Token, int(row.Vector[0]) / 1000})
	}
	if want := [][2]int{{4, 0}, {5, 1}, {7, 0}, {8, 1}}; !slices.Equal(got, want) {
		t.Errorf("(token, row) %v, want %v", got, want)
	}
}

// The size defaults to the model's, the settings go through settings.Validate with the model's
// size step, and the sampler comes from the model's scheduler config.
func TestResolve(t *testing.T) {
	tok, m := fixtureModel(t)
	in := twoDogs(m)
	c, err := Build(tok, m, in)
	if err != nil {
		t.Fatal(err)
	}
	n := m.NativeSize()
	if c.Settings.Width != n || c.Settings.Height != n || c.LatentShape[2]*m.latentFactor() != n {
		t.Errorf("size %dx%d, latents %v; want the native %d", c.Settings.Width, c.Settings.Height, c.LatentShape, n)
	}
	if got := c.Scheduler.Config().PredictionType; got != m.Scheduler.PredictionType {
		t.Errorf("prediction type %q, want the model's %q", got, m.Scheduler.PredictionType)
	}
	for name, edit := range map[string]func(*settings.Settings){
		"size off the step":         func(s *settings.Settings) { s.Width = m.SizeStep() + 1 },
		"steps":                     func(s *settings.Settings) { s.Steps = 0 },
		"unknown sampler":           func(s *settings.Settings) { s.Sampler = "heun9" },
		"pndm with self-recurrence": func(s *settings.Settings) { s.Sampler = "pndm" },
	} {
		in := twoDogs(m)
		edit(&in.Settings)
		_, err := Build(tok, m, in)
		if len(settings.Fields(err)) == 0 {
			t.Errorf("%s: %v, want a settings field error", name, err)
		}
	}
}

// Every residual and layout problem is found, each naming its word.
func TestBuildNamesEveryProblem(t *testing.T) {
	tok, m := fixtureModel(t)
	width := m.Networks.TextEncoder.Width()
	in := twoDogs(m)
	in.Residuals = append(in.Residuals, testResidual("mug", 1, width), testResidual("beach", 1, width+1),
		testResidual("dog", 2, width))
	other := testResidual("on", 1, width)
	other.Model = residual.Model{Family: "sd2", TextEncoder: "fedcba9876543210"}
	in.Residuals = append(in.Residuals, other)
	in.Layout.Subjects = append(in.Layout.Subjects, layout.Subject{Word: "cat", Weight: 2.5,
		Boxes: []layout.Box{{X0: 0.5, Y0: 0, X1: 1, Y1: 1}}})
	_, err := Build(tok, m, in)
	var notFound *tokenizer.PhraseNotFoundError
	var wide *residual.WidthMismatchError
	var made *residual.ModelMismatchError
	if !errors.As(err, &notFound) || !errors.As(err, &wide) || !errors.As(err, &made) {
		t.Errorf("error %v: want not-found, width and model errors", err)
	}
	for _, want := range []string{`residual "mug"`, `residual "beach"`, `residual "dog": the residual has 2 vectors`,
		`residual "on"`, `layout subject "cat"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// A layout needs the model's text length and a UNet to guide; without the model's configs
// nothing is built.
func TestBuildWithoutModel(t *testing.T) {
	tok, m := fixtureModel(t)
	in := twoDogs(m)
	if _, err := Build(tok, Model{}, in); !errors.Is(err, errNoModel) {
		t.Errorf("no model: %v", err)
	}
}
