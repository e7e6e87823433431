package request

import (
	"errors"
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
)

// Input is one generation as asked for.
type Input struct {
	// Settings are the prompt, sampler, steps, guidance, seed and size (0: the model's native).
	Settings settings.Settings
	// Residuals are the subjects' residual embeddings; each word must occur in the prompt.
	Residuals []*residual.Residual
	// Layout places subjects; nil (or no subjects) generates without layout edits (guided
	// steps still take the self-recurrence, as the official code does with an empty layout).
	Layout *layout.Layout
}

// Conditioning is everything an engine consumes for one generation, computed the same way for
// both engines.
type Conditioning struct {
	Settings settings.Settings // resolved: the size filled in, every value checked
	Prompt   []int             // padded token ids of the prompt
	Negative []int             // padded token ids of the unconditional prompt ("")
	// Residuals are the residual rows at their tokens, residual by residual, occurrence by
	// occurrence: the order the server adds them in.
	Residuals []Row
	// Positions are the token positions of each layout subject (Input.Layout's order).
	Positions [][]int
	// Grids are the layout weight maps by cross-attention query length; nil without a layout.
	Grids map[int][]float32
	// LatentShape is [1, channels, height/f, width/f].
	LatentShape []int
	// Scheduler is a fresh sampler for this generation.
	Scheduler schedule.Scheduler
}

// Build resolves in against the tokenizer and the model. Problems with the settings stop it at
// once; after that every residual and layout subject is checked, and all their problems come
// back joined, each naming its word, so a page can list them together.
func Build(tok *tokenizer.Tokenizer, m Model, in Input) (*Conditioning, error) {
	s, err := Resolve(in.Settings, m)
	if err != nil {
		return nil, err
	}
	c := &Conditioning{Settings: s, LatentShape: m.LatentShape(s.Width, s.Height)}
	if c.Scheduler, err = Scheduler(s.Sampler, m.Scheduler); err != nil {
		return nil, err
	}
	if c.Prompt, err = tok.EncodePadded(s.Prompt); err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	if c.Negative, err = tok.EncodePadded(""); err != nil {
		return nil, fmt.Errorf("empty prompt: %w", err)
	}
	var errs []error
	width := m.Networks.TextEncoder.Width()
	for _, r := range in.Residuals {
		rows, err := Rows(tok, s.Prompt, r, m.ID, width)
		if err != nil {
			errs = append(errs, fmt.Errorf("residual %q: %w", r.Word, err))
			continue
		}
		c.Residuals = append(c.Residuals, rows...)
	}
	if in.Layout != nil && len(in.Layout.Subjects) > 0 {
		if c.Positions, err = Positions(tok, s.Prompt, in.Layout); err != nil {
			errs = append(errs, err)
		} else if c.Grids, err = Grids(in.Layout, c.Positions, s.Width, s.Height, m); err != nil {
			errs = append(errs, fmt.Errorf("layout: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}
