package eval

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/weights"
)

// Settings are the sampling settings of every generation of the evaluation: the one settings
// type (cones/settings), whose prompt and seed are each item's and whose size is the model's.
type Settings = settings.Settings

// ModelSettings are the sampling settings the model folder recommends (weights.Recommended),
// what a user of the page or of cones generate gets.
func ModelSettings(r weights.Recommended) Settings {
	return r.Sampling.Settings()
}

// orModel fills the settings left zero with the model's.
func orModel(s Settings, r weights.Recommended) Settings {
	m := ModelSettings(r)
	if s.Steps == 0 {
		s.Steps, s.GuidanceSteps = m.Steps, min(m.GuidanceSteps, m.Steps)
	}
	if s.GuidanceSteps < 0 {
		s.GuidanceSteps = m.GuidanceSteps
	}
	if s.GuidanceWeight < 0 {
		s.GuidanceWeight = m.GuidanceWeight
	}
	if s.CFGScale < 0 {
		s.CFGScale = m.CFGScale
	}
	if s.Sampler == "" {
		s.Sampler = m.Sampler
	}
	return s
}

// DefaultSettings leave every setting to the model (negative and zero values mean "the
// model's"; see orModel).
func DefaultSettings() Settings {
	return Settings{GuidanceSteps: -1, GuidanceWeight: -1, CFGScale: -1}
}

// Generated is one item's picture and score.
type Generated struct {
	Outcome Outcome
	Picture Picture
}

// Configure prepares an item's request for its customisation method (residuals, a fine-tuned
// text encoder, learned token rows) and returns what undoes it after the generation.
type Configure func(it Item, req *generate.Request) (restore func() error, err error)

// Run generates and scores items in order with gen. configure, when not nil, prepares each
// request. onItem, when not nil, sees every result as it comes.
func Run(ctx context.Context, gen *generate.Generator, s Settings, items []Item, configure Configure, onItem func(i int, g Generated)) ([]Generated, error) {
	out := make([]Generated, 0, len(items))
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		set := s
		set.Prompt, set.Seed = it.Prompt, it.Seed
		req := generate.Request{Settings: set, Layout: it.Mode.Layout(it.Subjects)}
		restore := func() error { return nil }
		if configure != nil {
			var err error
			if restore, err = configure(it, &req); err != nil {
				return out, fmt.Errorf("eval: item %d (%q): %w", i, it.Prompt, err)
			}
		}
		res, err := gen.Generate(ctx, req)
		if rerr := restore(); err == nil && rerr != nil {
			err = rerr
		}
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
