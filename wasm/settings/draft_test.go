package settings

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDraftRoundTripKeepsUnparsedFields(t *testing.T) {
	d := Draft{Form: Form{"prompt": "a dög", "steps": "twenty", "seed": "12"}, Layout: json.RawMessage(`{"version":1}`)}
	b, err := MarshalDraft(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalDraft(b)
	if err != nil {
		t.Fatal(err)
	}
	d.Format = DraftFormat
	if !reflect.DeepEqual(got, d) {
		t.Errorf("got %+v want %+v", got, d)
	}
}

func TestDraftRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `{`,
		"other format":  `{"format":"x","form":{}}`,
		"unknown field": `{"format":"cones2-draft/1","form":{"password":"x"}}`,
		"too big":       `{"format":"cones2-draft/1","form":{"prompt":"` + strings.Repeat("x", MaxDraftBytes) + `"}}`,
	} {
		if _, err := UnmarshalDraft([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
