package library

import (
	"fmt"
	"slices"
	"strings"
)

// DuplicateError says an imported residual is already in the library: the same vector (one ID)
// under Word. Importing it again would only make a second copy, so the import is refused.
type DuplicateError struct{ Word string }

func (e *DuplicateError) Error() string { return fmt.Sprintf("already in the library as %q", e.Word) }

// Clash is an imported subject whose word another subject of the library already has. The
// prompt binds subjects by word, so the two cannot share it: the person chooses (Choice).
type Clash struct {
	Old, New Subject
	// KeepAs is the word the new subject takes when both are kept: the first free one of
	// word2, word3... (FreeWord), said in the question so nobody has to guess it.
	KeepAs string
}

// Choice is what the person decides about a clash.
type Choice int

const (
	// Skip leaves the library as it is: the file is not imported.
	Skip Choice = iota
	// Replace removes the old subject and stores the new one under the word.
	Replace
	// KeepBoth stores the new subject under Clash.KeepAs.
	KeepBoth
)

// CheckImport says how sub fits into list: a *DuplicateError when its residual is already
// there, a clash when another subject has its word (case-insensitive, as CLIP lowercases the
// prompt), neither when it can simply be added.
func CheckImport(list []Subject, sub Subject) (*Clash, error) {
	if i := slices.IndexFunc(list, func(s Subject) bool { return s.ID == sub.ID }); i >= 0 {
		return nil, &DuplicateError{Word: list[i].Word}
	}
	old, ok := Find(list, sub.Word)
	if !ok {
		return nil, nil
	}
	return &Clash{Old: old, New: sub, KeepAs: FreeWord(list, sub.Word)}, nil
}

// Question is what the page asks: which subject has the word, where each came from, and the
// word the new one would get beside the old.
func (c *Clash) Question() string {
	return fmt.Sprintf("Your library already has a subject called %q (%s). Replace it with the one from %s, or keep both and call the new one %q?",
		c.Old.Word, origin(c.Old), c.New.Source, c.KeepAs)
}

// Outcome says what the choice did, for the library's message.
func (c *Clash) Outcome(choice Choice) string {
	switch choice {
	case Replace:
		return fmt.Sprintf("%s (from %s) replaced the %s %s.", c.New.Word, c.New.Source, c.Old.Word, origin(c.Old))
	case KeepBoth:
		return fmt.Sprintf("%s (from %s) is in the library beside %s: write %q in the prompt to use the new one.", c.KeepAs, c.New.Source, c.Old.Word, c.KeepAs)
	}
	return fmt.Sprintf("%s: not imported; the library keeps its %s.", c.New.Source, c.Old.Word)
}

// origin says where a subject came from and when, to tell two of one word apart.
func origin(s Subject) string {
	var parts []string
	if s.Source != "" {
		parts = append(parts, "from "+s.Source)
	}
	if !s.Added.IsZero() {
		parts = append(parts, "added "+s.Added.Local().Format("2 Jan 2006 15:04"))
	}
	if len(parts) == 0 {
		return "imported earlier"
	}
	return strings.Join(parts, ", ")
}
