package reuse

import (
	"fmt"

	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/library"
)

// Need is one subject a record names: settings keep the residual's hash, not the file, so the
// library must still hold it for the image to come out the same.
type Need struct {
	Word     string // the prompt word the residual was bound to
	Residual string // library.VectorID of the residual
	// Have is the library's word for that residual ("" when it has none): a subject renamed
	// since is found by its hash but binds to the prompt only under its new word.
	Have string
	// Other says the library's subject of that word is another residual (another photo set,
	// or a retrained one), which would make another image.
	Other bool
}

// Needs looks each recorded subject up in the library by hash.
func Needs(subjects []settings.Subject, have []library.Subject) []Need {
	out := make([]Need, 0, len(subjects))
	for _, sub := range subjects {
		n := Need{Word: sub.Word, Residual: sub.Residual}
		for _, h := range have {
			switch {
			case h.ID == sub.Residual:
				n.Have = h.Word
			case h.Word == sub.Word:
				n.Other = true
			}
		}
		out = append(out, n)
	}
	return out
}

// Ready says the library has the residual under the recorded word, so the prompt binds it.
func (n Need) Ready() bool { return n.Have == n.Word }

// String says what the subject needs, for the page's message.
func (n Need) String() string {
	switch {
	case n.Ready():
		return fmt.Sprintf("%q (in the library)", n.Word)
	case n.Have != "":
		return fmt.Sprintf("%q (the library has its residual as %q: rename it to %s)", n.Word, n.Have, n.Word)
	case n.Other:
		return fmt.Sprintf("%q (residual sha256 %s… is not in the library, whose %q is another residual: import the recorded file under Subjects)", n.Word, short(n.Residual), n.Word)
	}
	return fmt.Sprintf("%q (residual sha256 %s… is not in the library: import its file under Subjects)", n.Word, short(n.Residual))
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
