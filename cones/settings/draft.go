package settings

import (
	"encoding/json"
	"fmt"
)

// Draft is the person's unfinished work as typed: the form exactly as it stands (even fields
// that do not parse yet) and the layout. The page keeps it in the browser so a reload, a crash
// or a lost GPU does not lose a prompt or a layout.
type Draft struct {
	Format  string          `json:"format"`
	Form    Form            `json:"form"`
	Layout  json.RawMessage `json:"layout,omitempty"`  // cones/layout JSON: the box subjects
	Regions []Region        `json:"regions,omitempty"` // the mask subjects (see JoinLayout)
}

// DraftFormat tags stored drafts.
const DraftFormat = "cones2-draft/1"

// MaxDraftBytes bounds what is read back (browser storage is small and untrusted).
const MaxDraftBytes = 2 << 20

// MarshalDraft encodes a draft.
func MarshalDraft(d Draft) ([]byte, error) {
	d.Format = DraftFormat
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("draft: %w", err)
	}
	return b, nil
}

// UnmarshalDraft decodes a stored draft; anything unreadable is an error and the page starts
// fresh (a draft is a convenience, never a reason not to start).
func UnmarshalDraft(b []byte) (Draft, error) {
	if len(b) > MaxDraftBytes {
		return Draft{}, fmt.Errorf("draft: %d bytes, at most %d", len(b), MaxDraftBytes)
	}
	var d Draft
	if err := json.Unmarshal(b, &d); err != nil {
		return Draft{}, fmt.Errorf("draft: %w", err)
	}
	if d.Format != DraftFormat {
		return Draft{}, fmt.Errorf("draft: format %q, this page reads %q", d.Format, DraftFormat)
	}
	known := Defaults(0, 0)
	fields := known.ToForm()
	for k := range d.Form {
		if _, ok := fields[k]; !ok {
			return Draft{}, fmt.Errorf("draft: unknown field %q", k)
		}
	}
	return d, nil
}
