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

func FuzzUnmarshalDraft(f *testing.F) {
	b, _ := MarshalDraft(Draft{Form: Form{"prompt": "a dog", "seed": "1"}, Layout: json.RawMessage(`{"version":1,"subjects":[]}`)})
	f.Add(b)
	f.Add([]byte(`{"format":"cones2-draft/1","form":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := UnmarshalDraft(b)
		if err != nil {
			return
		}
		out, err := MarshalDraft(d)
		if err != nil {
			t.Fatalf("a read draft does not write: %v", err)
		}
		again, err := UnmarshalDraft(out)
		if err != nil || len(again.Form) != len(d.Form) {
			t.Fatalf("round trip: %v %+v %+v", err, again, d)
		}
	})
}
