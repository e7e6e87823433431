package residual

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on what a residual may be. A word rarely spans more than a few tokens and text encoders
// are at most a few thousand wide; the bounds keep the files small and the parsers cheap.
const (
	MaxTokens      = 16
	MaxWidth       = 4096
	MaxWordBytes   = 256
	maxIDBytes     = 128  // model family and fingerprint
	maxTraining    = 64   // training settings
	maxKeyBytes    = 64   // a training setting's key
	maxValueBytes  = 1024 // a training setting's value
	maxShortFinger = 8    // fingerprint characters shown in messages
)

// Model identifies the text encoder a residual belongs to. Both strings come from the caller (the
// weights package computes them from the loaded model).
type Model struct {
	Family      string // for example "sd2" or "sd1"
	TextEncoder string // fingerprint of the text encoder weights
}

// String is "sd2 text encoder 3f2a1b0c…".
func (m Model) String() string {
	if m.Family == "" && m.TextEncoder == "" {
		return "an unknown model"
	}
	fp := m.TextEncoder
	if utf8.RuneCountInString(fp) > maxShortFinger {
		fp = string([]rune(fp)[:maxShortFinger]) + "…"
	}
	return fmt.Sprintf("%s text encoder %s", m.Family, fp)
}

// IsZero reports whether the model is unknown (a residual imported from a .pt file).
func (m Model) IsZero() bool { return m == Model{} }

// Residual is one subject: the word it is added at and one vector per token of that word.
type Residual struct {
	Word     string
	Tokens   int       // k, the number of tokens of Word
	Width    int       // the text encoder's hidden size
	Data     []float32 // Tokens*Width values, row-major
	Model    Model     // zero for residuals imported from .pt files until the caller sets it
	Training map[string]string
	Created  time.Time
}

// Row returns the vector added at the i-th token of the word.
func (r *Residual) Row(i int) []float32 { return r.Data[i*r.Width : (i+1)*r.Width] }

// Check says whether the residual may be used with a text encoder: a ModelMismatchError when it
// was made for another model (skipped while the residual's model is unknown), a
// WidthMismatchError when the widths differ.
func (r *Residual) Check(m Model, width int) error {
	if !r.Model.IsZero() && r.Model != m {
		return &ModelMismatchError{Word: r.Word, File: r.Model, Have: m}
	}
	if r.Width != width {
		return &WidthMismatchError{Word: r.Word, Got: r.Width, Want: width}
	}
	return nil
}

// validate checks everything Marshal writes and Unmarshal accepts.
func (r *Residual) validate() error {
	if err := checkWord(r.Word); err != nil {
		return err
	}
	if err := checkShape(r.Tokens, r.Width); err != nil {
		return err
	}
	if len(r.Data) != r.Tokens*r.Width {
		return fmt.Errorf("%d values for %d tokens of width %d", len(r.Data), r.Tokens, r.Width)
	}
	if err := checkFinite(r.Data); err != nil {
		return err
	}
	if err := checkID("model family", r.Model.Family); err != nil {
		return err
	}
	if err := checkID("text encoder fingerprint", r.Model.TextEncoder); err != nil {
		return err
	}
	if r.Created.IsZero() {
		return errors.New("creation time not set")
	}
	return checkTraining(r.Training)
}

func checkWord(w string) error {
	switch {
	case w == "":
		return errors.New("empty word")
	case len(w) > MaxWordBytes:
		return fmt.Errorf("word is %d bytes, at most %d", len(w), MaxWordBytes)
	case !utf8.ValidString(w):
		return errors.New("word is not valid UTF-8")
	case strings.IndexFunc(w, unicode.IsControl) >= 0:
		return fmt.Errorf("word %q holds control characters", w)
	}
	return nil
}

func checkShape(tokens, width int) error {
	if tokens < 1 || tokens > MaxTokens {
		return fmt.Errorf("%d tokens, want 1..%d", tokens, MaxTokens)
	}
	if width < 1 || width > MaxWidth {
		return fmt.Errorf("width %d, want 1..%d", width, MaxWidth)
	}
	return nil
}

func checkFinite(v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("value %d is %v", i, x)
		}
	}
	return nil
}

func checkID(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s not set", what)
	case len(s) > maxIDBytes:
		return fmt.Errorf("%s is %d bytes, at most %d", what, len(s), maxIDBytes)
	case !printable(s):
		return fmt.Errorf("%s %q is not printable text", what, s)
	}
	return nil
}

func checkTraining(t map[string]string) error {
	if len(t) > maxTraining {
		return fmt.Errorf("%d training settings, at most %d", len(t), maxTraining)
	}
	for k, v := range t {
		if k == "" || len(k) > maxKeyBytes || strings.IndexFunc(k, notKeyRune) >= 0 {
			return fmt.Errorf("training setting key %q: want 1..%d of a-z 0-9 _ . -", k, maxKeyBytes)
		}
		if len(v) > maxValueBytes || !printable(v) {
			return fmt.Errorf("training setting %q: value must be printable text of at most %d bytes", k, maxValueBytes)
		}
	}
	return nil
}

func notKeyRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
