package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Format tags the JSON so that a later page can tell which version wrote it.
const Format = "cones2-settings/1"

// PNGKeyword is the tEXt keyword under which downloaded images carry their settings.
const PNGKeyword = "cones2"

// MaxSeed keeps seeds exact in JavaScript numbers and JSON readers that use float64.
const MaxSeed = 1<<53 - 1

// Limits of every generation (the page's form, cones generate, the server engine, a model's
// recommended settings). Sizes are multiples of a model's size step (see Validate): 64 for Stable
// Diffusion, whose VAE downsamples by 8 and whose UNet by 8 more, every level dividing evenly.
const (
	MaxSteps    = 500
	MaxCFG      = 30
	MaxGuidance = 2
	SizeStep    = 64 // Stable Diffusion's
	MinSize     = 64
	MaxSize     = 2048
	MaxPrompt   = 4096 // bytes; the token limit (77) is checked with the tokenizer
)

// Subject binds a prompt word to a residual of the subject library.
type Subject struct {
	Word string `json:"word"`
	// Residual identifies the residual file (hex sha256 of its bytes), so "use these settings
	// again" finds the same subject even after it was renamed.
	Residual string `json:"residual"`
}

// Settings is one generation request: what the page's form shows, what PNGs and the gallery
// record, and what cones generate and the server engine take (server/engine/generate.Settings
// is this type). Width and Height 0 ask for the model's native size (cones/request resolves it);
// the page always names a size.
type Settings struct {
	Format         string          `json:"format"`
	Model          string          `json:"model,omitempty"` // the model it was made with, for display
	Prompt         string          `json:"prompt"`
	Sampler        string          `json:"sampler"`
	Steps          int             `json:"steps"`
	GuidanceSteps  int             `json:"guided_steps"` // leading steps with layout guidance and self-recurrence
	GuidanceWeight float64         `json:"guidance_weight"`
	CFGScale       float64         `json:"cfg"` // classifier-free guidance scale
	Seed           uint64          `json:"seed"`
	Width          int             `json:"width"`
	Height         int             `json:"height"`
	Subjects       []Subject       `json:"subjects,omitempty"`
	Layout         json.RawMessage `json:"layout,omitempty"`  // cones/layout JSON: the box subjects
	Regions        []Region        `json:"regions,omitempty"` // the mask subjects (see JoinLayout)
}

// Defaults are the official Cones 2 sampling settings at a given size.
func Defaults(width, height int) Settings {
	return Settings{
		Format: Format, Sampler: "lms", Steps: 50, GuidanceSteps: 50, GuidanceWeight: 0.08, CFGScale: 7.5,
		Width: width, Height: height,
	}
}

// FieldError names the form field that holds a bad value, so the page can mark that control.
type FieldError struct {
	Field string // JSON/form name, e.g. "guided_steps"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field against the limits above; samplers lists the sampler names the
// engine offers (nil skips that check), and sizeStep is the model's size step
// (cones/request's Model.SizeStep; 0 takes Stable Diffusion's 64): width and height are multiples of it from one step to MaxSize.
// All problems are returned, joined, each a *FieldError. It is the one check of a generation's
// settings: the page's form, cones generate and the server engine all go through it.
func (s *Settings) Validate(samplers []string, sizeStep int) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case strings.TrimSpace(s.Prompt) == "":
		add(fieldErr("prompt", "type a prompt"))
	case len(s.Prompt) > MaxPrompt:
		add(fieldErr("prompt", "%d bytes, at most %d", len(s.Prompt), MaxPrompt))
	case !utf8.ValidString(s.Prompt):
		add(fieldErr("prompt", "not valid UTF-8 text"))
	}
	add(s.ValidateSampling(samplers))
	if s.Seed > MaxSeed {
		add(fieldErr("seed", "%d is above %d", s.Seed, uint64(MaxSeed)))
	}
	if sizeStep <= 0 {
		sizeStep = SizeStep
	}
	add(size("width", s.Width, sizeStep))
	add(size("height", s.Height, sizeStep))
	seen := map[string]bool{}
	for i, sub := range s.Subjects {
		if sub.Word == "" || seen[sub.Word] {
			add(fieldErr("subjects", "subject %d: word %q is empty or repeated", i, sub.Word))
		}
		seen[sub.Word] = true
	}
	return errors.Join(errs...)
}

// ValidateSampling checks the sampling fields alone (sampler, steps, guided steps, guidance
// weight, CFG scale): what a model's recommended settings (weights.Recommended) hold. samplers
// as for Validate.
func (s *Settings) ValidateSampling(samplers []string) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if samplers != nil && !contains(samplers, s.Sampler) {
		add(fieldErr("sampler", "%q is not one of %s", s.Sampler, strings.Join(samplers, ", ")))
	}
	add(intRange("steps", s.Steps, 1, MaxSteps))
	add(intRange("guided_steps", s.GuidanceSteps, 0, max(s.Steps, 0)))
	if s.Sampler == "pndm" && s.GuidanceSteps > 0 {
		// PLMS cannot take a step twice: diffusers' step_plms moves the timestep forward on its
		// second call, past the end of the schedule at the first step.
		add(fieldErr("sampler", "the pndm sampler cannot repeat a step for self-recurrence: use another sampler or 0 guided steps"))
	}
	add(floatRange("guidance_weight", s.GuidanceWeight, 0, MaxGuidance))
	add(floatRange("cfg", s.CFGScale, 0, MaxCFG))
	return errors.Join(errs...)
}

func intRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fieldErr(field, "%d is outside %d..%d", v, lo, hi)
	}
	return nil
}

func floatRange(field string, v, lo, hi float64) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return fieldErr(field, "%v is outside %g..%g", v, lo, hi)
	}
	return nil
}

func size(field string, v, step int) error {
	if v < step || v > MaxSize || v%step != 0 {
		return fieldErr(field, "%d px: use a multiple of %d from %d to %d", v, step, step, MaxSize)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Marshal encodes the settings as JSON in pure ASCII (other characters escaped), so the text
// fits a PNG tEXt chunk, which holds Latin-1 only.
func (s *Settings) Marshal() ([]byte, error) {
	c := *s
	c.Format = Format
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return asciiJSON(b), nil
}

func asciiJSON(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(b[0])
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[n:]
	}
	return out.Bytes()
}

// Unmarshal decodes settings written by Marshal (or by hand), checking the format tag. It does
// not validate the values: callers do, with the engine's sampler list.
func Unmarshal(b []byte) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fmt.Errorf("settings: %w", err)
	}
	if dec.More() {
		return Settings{}, errors.New("settings: trailing data after the JSON object")
	}
	if s.Format != Format {
		return Settings{}, fmt.Errorf("settings: format %q, this page reads %q", s.Format, Format)
	}
	return s, nil
}
