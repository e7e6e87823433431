package reuse

import (
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/library"
)

// Plan is what restoring recorded settings does to the page.
type Plan struct {
	Settings settings.Settings
	Layout   *layout.Layout // nil when none was recorded: the page keeps its boxes
	Subjects []Need         // one per recorded subject, in the record's order
}

// New plans restoring s with the library holding have. Only the layout can fail (a record
// whose boxes or regions do not decode), and then nothing is restored.
func New(s settings.Settings, have []library.Subject) (Plan, error) {
	p := Plan{Settings: s, Subjects: Needs(s.Subjects, have)}
	if len(s.Layout) > 0 || len(s.Regions) > 0 {
		l, err := settings.JoinLayout(s.Layout, s.Regions)
		if err != nil {
			return Plan{}, fmt.Errorf("its layout: %w", err)
		}
		p.Layout = l
	}
	return p, nil
}

// Missing lists the recorded subject words whose residual the library lacks under that word.
func (p *Plan) Missing() []string {
	var out []string
	for _, n := range p.Subjects {
		if !n.Ready() {
			out = append(out, n.Word)
		}
	}
	return out
}
