package generate

import (
	"fmt"
	"math"
)

// Settings are the knobs of one generation. Defaults returns the official values
// (layout_guidance.py and the official inference configuration).
type Settings struct {
	Prompt string
	// Width and Height of the image in pixels; 0 takes the model's native size (UNet sample_size
	// times the VAE's factor: 512 for SD 1.5 and 2.1-base, 768 for SD 2.1).
	Width, Height int
	Steps         int // inference steps (official 50)
	GuidanceSteps int // leading steps with layout guidance and self-recurrence (official 50)
	// GuidanceWeight scales the attention edit (official example 0.08; layout_guidance.py's
	// default argument is 0.05).
	GuidanceWeight float64
	CFGScale       float64 // classifier-free guidance scale (official 7.5)
	// Sampler names a cones/schedule sampler: "lms" (the official one, taken at order 1),
	// "ddim", "euler", "dpmpp2m", "dpmsolver" or "pndm".
	Sampler string
	Seed    uint64
}

// Official defaults.
const (
	DefaultSteps          = 50
	DefaultGuidanceSteps  = 50
	DefaultGuidanceWeight = 0.08
	DefaultCFGScale       = 7.5
	DefaultSampler        = "lms"
)

// Defaults returns the official settings (prompt, size and seed left empty).
func Defaults() Settings {
	return Settings{Steps: DefaultSteps, GuidanceSteps: DefaultGuidanceSteps, GuidanceWeight: DefaultGuidanceWeight,
		CFGScale: DefaultCFGScale, Sampler: DefaultSampler}
}

// MaxSide bounds the image size (as cones/layout does).
const MaxSide = 4096

// validate checks the settings that do not depend on the model.
func (s Settings) validate() error {
	switch {
	case s.Steps < 1 || s.Steps > 1000:
		return fmt.Errorf("steps %d: want 1..1000", s.Steps)
	case s.GuidanceSteps < 0:
		return fmt.Errorf("guidance steps %d: want 0 or more", s.GuidanceSteps)
	case !finite(s.GuidanceWeight) || s.GuidanceWeight < 0:
		return fmt.Errorf("guidance weight %g: want a finite value >= 0", s.GuidanceWeight)
	case !finite(s.CFGScale):
		return fmt.Errorf("cfg scale %g: want a finite value", s.CFGScale)
	case s.Width < 0 || s.Height < 0 || s.Width > MaxSide || s.Height > MaxSide:
		return fmt.Errorf("size %dx%d: want 1..%d (or 0 for the model's size)", s.Width, s.Height, MaxSide)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
