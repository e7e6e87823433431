package library

import (
	"errors"
	"strings"
	"testing"
)

// The same residual again is refused by name, another residual of a taken word (in any case)
// is a clash that names the word it would keep, and a new word is simply added.
func TestCheckImport(t *testing.T) {
	list := []Subject{subject("circle", "a"), subject("circle2", "b"), subject("dog", "c")}

	_, err := CheckImport(list, subject("ring", "a"))
	var dup *DuplicateError
	if !errors.As(err, &dup) || dup.Word != "circle" || err.Error() != `already in the library as "circle"` {
		t.Errorf("same residual: %v", err)
	}

	c, err := CheckImport(list, subject("Circle", "z"))
	if err != nil || c == nil {
		t.Fatalf("clash not found: %v %v", c, err)
	}
	if c.Old.Word != "circle" || c.New.Word != "Circle" || c.KeepAs != "Circle3" {
		t.Errorf("clash %q with %q, kept as %q", c.New.Word, c.Old.Word, c.KeepAs)
	}

	if c, err := CheckImport(list, subject("square", "y")); c != nil || err != nil {
		t.Errorf("a new word: %v %v", c, err)
	}
}

// The question and each outcome name both subjects, where they came from and the word the new
// one gets, so nobody has to guess it.
func TestClashSentences(t *testing.T) {
	old, sub := subject("circle", "a"), subject("circle", "b")
	sub.Source = "other.safetensors"
	c, err := CheckImport([]Subject{old}, sub)
	if err != nil || c == nil {
		t.Fatal(c, err)
	}
	added := old.Added.Local().Format("2 Jan 2006 15:04")
	for _, tt := range []struct{ got, want string }{
		{c.Question(), `Your library already has a subject called "circle" (from circle.pt, added ` + added + `). Replace it with the one from other.safetensors, or keep both and call the new one "circle2"?`},
		{c.Outcome(Replace), "circle (from other.safetensors) replaced the circle from circle.pt, added " + added + "."},
		{c.Outcome(KeepBoth), `circle2 (from other.safetensors) is in the library beside circle: write "circle2" in the prompt to use the new one.`},
		{c.Outcome(Skip), "other.safetensors: not imported; the library keeps its circle."},
	} {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
	bare := *c
	bare.Old = Subject{Word: "circle"}
	if q := bare.Question(); !strings.Contains(q, `"circle" (imported earlier)`) {
		t.Errorf("a subject with no origin: %s", q)
	}
}
