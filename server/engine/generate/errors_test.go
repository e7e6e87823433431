package generate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
)

// Bad requests fail with an error naming the problem, before any denoising step runs.
func TestGenerateBadInput(t *testing.T) {
	v := fixture.Variants(t)[0]
	g := generator(t, v)
	width := g.Pipeline.Model.TextEncoder.Width()
	res := func(word string, tokens, w int, m residual.Model) *residual.Residual {
		return &residual.Residual{Word: word, Tokens: tokens, Width: w, Data: make([]float32, tokens*w), Model: m}
	}
	box := func(word string, b layout.Box) *layout.Layout {
		return &layout.Layout{Negative: layout.DefaultNegative, Subjects: []layout.Subject{{Word: word, Weight: 2.5, Boxes: []layout.Box{b}}}}
	}
	half := layout.Box{X0: 0, Y0: 0, X1: 0.5, Y1: 1}
	long := strings.Repeat("dog ", 80)
	cases := []struct {
		name  string
		req   Request
		check func(error) bool
		text  string
	}{
		{"prompt over 77 tokens", Request{Settings: promptSettings(long)}, as[*tokenizer.TooLongError], "77"},
		{"layout word not in prompt", Request{Settings: promptSettings("a dog on the beach"), Layout: box("mug", half)},
			as[*tokenizer.PhraseNotFoundError], "mug"},
		{"residual word not in prompt", Request{Settings: promptSettings("a dog on the beach"),
			Residuals: []*residual.Residual{res("mug", 1, width, g.Model())}}, as[*tokenizer.PhraseNotFoundError], "mug"},
		{"residual of the wrong width", Request{Settings: promptSettings("a dog on the beach"),
			Residuals: []*residual.Residual{res("dog", 1, width+1, residual.Model{})}}, as[*residual.WidthMismatchError], "wide"},
		{"residual of another model", Request{Settings: promptSettings("a dog on the beach"),
			Residuals: []*residual.Residual{res("dog", 1, width, residual.Model{Family: "sd2", TextEncoder: "0123456789abcdef"})}},
			as[*residual.ModelMismatchError], "made for"},
		{"residual with too many vectors", Request{Settings: promptSettings("a dog on the beach"),
			Residuals: []*residual.Residual{res("dog", 2, width, residual.Model{})}}, nil, "2 vectors"},
		{"layout box outside the image", Request{Settings: promptSettings("a dog on the beach"),
			Layout: box("dog", layout.Box{X0: 0.5, Y0: 0, X1: 1.5, Y1: 1})}, as[*layout.BoxError], "box 0"},
		{"size not a multiple", Request{Settings: sized(promptSettings("a dog"), 100, 128)}, fieldError, "use a multiple of"},
		{"size too large", Request{Settings: sized(promptSettings("a dog"), 128, 100000)}, fieldError, "height: 100000 px"},
		{"unknown sampler", Request{Settings: sampler(promptSettings("a dog"), "heun9")}, fieldError, "heun9"},
		{"no steps", Request{Settings: steps(promptSettings("a dog"), 0)}, fieldError, "steps: 0"},
		{"pndm with self-recurrence", Request{Settings: sampler(promptSettings("a dog"), "pndm")}, fieldError, "pndm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			c.req.OnStep = func(p sample.Progress) { calls++ }
			_, err := g.Generate(context.Background(), c.req)
			if err == nil {
				t.Fatal("no error")
			}
			if c.check != nil && !c.check(err) {
				t.Fatalf("error %q (%T) is not of the expected type", err, errors.Unwrap(err))
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q does not mention %q", err, c.text)
			}
			t.Log(err)
			if calls != 0 {
				t.Fatalf("%d steps ran before the error", calls)
			}
		})
	}
}

func promptSettings(prompt string) Settings {
	s := settings.Defaults(0, 0)
	s.Prompt, s.Steps, s.GuidanceSteps = prompt, 2, 1
	return s
}

func sized(s Settings, w, h int) Settings      { s.Width, s.Height = w, h; return s }
func sampler(s Settings, name string) Settings { s.Sampler = name; return s }
func steps(s Settings, n int) Settings         { s.Steps = n; return s }
func as[T error](err error) bool               { var target T; return errors.As(err, &target) }

// fieldError says the settings were refused by their one check (settings.Validate).
func fieldError(err error) bool { return len(settings.Fields(err)) > 0 }
