package generation

import (
	"errors"
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/wasm/library"
)

// Build resolves the form's settings s (already checked field by field), the layout l (nil for
// none) and the library subjects whose words the prompt names into the engine's conditioning
// and the record of the run: the resolved settings with the subjects (by their residual's
// content, so "use these settings again" finds them after a rename), the layout and the model.
// Every problem of a subject or layout word comes back joined, each naming the word.
func Build(tok *tokenizer.Tokenizer, m request.Model, s settings.Settings, l *layout.Layout, subjects []library.Subject) (*request.Conditioning, settings.Settings, error) {
	rs, bound, err := residuals(subjects)
	if err != nil {
		return nil, s, err
	}
	s.Subjects = bound
	c, err := request.Build(tok, m, request.Input{Settings: s, Residuals: rs, Layout: l})
	if err != nil {
		return nil, s, err
	}
	rec := c.Settings
	rec.Format, rec.Model = settings.Format, m.ID.Family+" "+m.ID.TextEncoder
	if l != nil {
		if enc, regions, err := settings.SplitLayout(l); err == nil {
			rec.Layout, rec.Regions = enc, regions
		}
	}
	return c, rec, nil
}

// residuals reads the subjects' residual files (checked against the model by request.Build)
// and names them for the record.
func residuals(subjects []library.Subject) ([]*residual.Residual, []settings.Subject, error) {
	var rs []*residual.Residual
	var bound []settings.Subject
	var errs []error
	for _, sub := range subjects {
		r, err := residual.Unmarshal(sub.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("subject %s: %w", sub.Word, err))
			continue
		}
		rs = append(rs, r)
		bound = append(bound, settings.Subject{Word: sub.Word, Residual: sub.ID})
	}
	return rs, bound, errors.Join(errs...)
}
