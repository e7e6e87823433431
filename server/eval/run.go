package eval

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/server/engine/generate"
)

// Settings are the sampling settings of every generation of the evaluation (the seed is each
// item's).
type Settings struct {
	Steps, GuidanceSteps int
	GuidanceWeight       float64
	CFGScale             float64
	Sampler              string
}

// DefaultSettings are the official Cones 2 settings except the step count: 25 steps, every one
// guided with self-recurrence, as the paper guides every step.
func DefaultSettings() Settings {
	return Settings{Steps: 25, GuidanceSteps: 25, GuidanceWeight: generate.DefaultGuidanceWeight,
		CFGScale: generate.DefaultCFGScale, Sampler: generate.DefaultSampler}
}

// Generated is one item's picture and score.
type Generated struct {
	Outcome Outcome
	Picture Picture
}

// Run generates and scores items in order with gen. residuals, when not nil, gives the
// residuals of an item's customisation method. onItem, when not nil, sees every result as it
// comes.
func Run(ctx context.Context, gen *generate.Generator, s Settings, items []Item, residuals func(Item) []*residual.Residual, onItem func(i int, g Generated)) ([]Generated, error) {
	out := make([]Generated, 0, len(items))
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		req := generate.Request{Settings: generate.Settings{Prompt: it.Prompt, Steps: s.Steps, GuidanceSteps: s.GuidanceSteps,
			GuidanceWeight: s.GuidanceWeight, CFGScale: s.CFGScale, Sampler: s.Sampler, Seed: it.Seed},
			Layout: it.Mode.Layout(it.Subjects)}
		if residuals != nil {
			req.Residuals = residuals(it)
		}
		res, err := gen.Generate(ctx, req)
		if err != nil {
			return out, fmt.Errorf("eval: item %d (%q): %w", i, it.Prompt, err)
		}
		pic := Picture{W: res.Settings.Width, H: res.Settings.Height, RGB: res.Pixels}
		o, err := Score(it, pic)
		if err != nil {
			return out, err
		}
		g := Generated{Outcome: o, Picture: pic}
		out = append(out, g)
		if onItem != nil {
			onItem(i, g)
		}
	}
	return out, nil
}
