package main

import (
	"fmt"
	"strings"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/userfile"
)

// readFrom reads the settings recorded in -from's image; nil without -from.
func (f *generateFlags) readFrom() (*settings.Settings, error) {
	if f.from == "" {
		return nil, nil
	}
	data, err := userfile.Read(f.from, "image", settings.MaxPNGBytes)
	if err != nil {
		return nil, fmt.Errorf("generate: -from: %w", err)
	}
	s, err := settings.FromPNG(data)
	if err != nil {
		return nil, fmt.Errorf("generate: -from %s: %w", f.from, err)
	}
	return &s, nil
}

// recordedSettings are the values a recorded image was made with, less what the request holds
// apart (subjects, layout; see recordedLayout) and the model's name, which the output records
// anew from -model.
func recordedSettings(from *settings.Settings) settings.Settings {
	s := *from
	s.Model, s.Subjects, s.Layout, s.Regions = "", nil, nil, nil
	return s
}

// recordedLayout rebuilds the recorded layout (boxes and colour-layout masks); nil when the
// image was made without one.
func recordedLayout(from *settings.Settings) (*layout.Layout, error) {
	if len(from.Layout) == 0 && len(from.Regions) == 0 {
		return nil, nil
	}
	l, err := settings.JoinLayout(from.Layout, from.Regions)
	if err != nil {
		return nil, fmt.Errorf("recorded layout: %w", err)
	}
	return l, nil
}

// recordedSubjects names the recorded subjects and the residual file each was made with.
func recordedSubjects(from *settings.Settings) string {
	var out []string
	for _, s := range from.Subjects {
		out = append(out, fmt.Sprintf("%q (residual file SHA-256 %s)", s.Word, s.Residual))
	}
	return "the subjects " + strings.Join(out, ", ")
}
