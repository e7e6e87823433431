package subject

import (
	"fmt"
	"math"
	"strconv"

	"github.com/cones2web/cones2/weights"
)

// Options are the training settings. Zero values are not defaults: start from Defaults.
type Options struct {
	// Steps is the number of optimisation steps (one image each: the official batch size 1).
	Steps int
	// LearningRate is AdamW's constant learning rate.
	LearningRate float64
	// Resolution is the side of the square training images in pixels; 0 means the model's
	// native size (the UNet's sample_size times the VAE's downsampling factor).
	Resolution int
	// FirstWeight and SecondWeight weigh the preservation losses: a on the <|startoftext|> row
	// and b on the rows after the word (official loss_rate_first and loss_rate_second).
	FirstWeight, SecondWeight float64
	// MaxGradNorm clips the total gradient norm (torch.nn.utils.clip_grad_norm_); 0 disables.
	MaxGradNorm float64
	// AdamW settings (torch.optim.AdamW).
	Beta1, Beta2, WeightDecay, Epsilon float64
	// Seed drives every random draw (image order, timesteps, latent samples, noise).
	Seed uint64
	// Sentences names the sentence set the residual is averaged over (see SentenceSets).
	Sentences string
	// Instance is the training prompt, a template with "{}" once where the word goes; "" is the
	// official instance prompt, the word alone. The preservation losses keep every embedding
	// row before the word (a) and after it (b).
	Instance string
	// MinTimestep is the lowest training timestep drawn (uniform over [MinTimestep, T)); 0 is
	// the official range. Colour and layout are decided at high noise, where an epsilon loss
	// weighs errors least: a small model learns a subject's colour faster without the low
	// timesteps, which teach texture it already draws.
	MinTimestep int
	// WordLR is the learning rate of the word's own rows of the token table; 0 means
	// LearningRate, as the official loop (one parameter group). A small model's encoder learns
	// a subject's colour through its word's input row long before its layers move (the learned
	// token embedding alone does it in a few hundred steps at 1e-2): the rest of the encoder
	// still trains at LearningRate, and the residual is still the output shift at the word.
	WordLR float64
}

// Defaults are the settings the official README trains its published residuals with
// (train_cones2.py with --learning_rate=5e-6 --max_train_steps=3000 --loss_rate_first=1e-2
// --loss_rate_second=1e-3 --train_batch_size=1, AdamW and clipping at their argparse defaults),
// at the model's native resolution, averaged over the official templates.
func Defaults() Options {
	return Options{
		Steps:        3000,
		LearningRate: 5e-6,
		FirstWeight:  1e-2,
		SecondWeight: 1e-3,
		MaxGradNorm:  1,
		Beta1:        0.9,
		Beta2:        0.999,
		WeightDecay:  1e-2,
		Epsilon:      1e-8,
		Sentences:    OfficialSentences,
	}
}

// Bounds on the options: generous for real use, tight enough that a request cannot ask the
// server for something absurd.
const (
	MaxSteps      = 100000
	MaxResolution = 2048
	// MaxTimestep bounds MinTimestep (a model's own schedule may be shorter: New checks it).
	MaxTimestep = 100000
)

// OptionError names an option and what is wrong with its value.
type OptionError struct {
	Option  string
	Problem string
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Problem }

// Validate checks every option; the first problem is returned as an *OptionError.
func (o Options) Validate() error {
	finite := func(name string, v, lo, hi float64, loOpen bool) error {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi || (loOpen && v == lo) {
			rng := "[" + fmtFloat(lo)
			if loOpen {
				rng = "(" + fmtFloat(lo)
			}
			return &OptionError{name, fmt.Sprintf("%v is outside %s, %s]", v, rng, fmtFloat(hi))}
		}
		return nil
	}
	switch {
	case o.Steps < 1 || o.Steps > MaxSteps:
		return &OptionError{"steps", fmt.Sprintf("%d, want 1..%d", o.Steps, MaxSteps)}
	case o.MinTimestep < 0 || o.MinTimestep > MaxTimestep:
		return &OptionError{"min_timestep", fmt.Sprintf("%d, want 0..%d", o.MinTimestep, MaxTimestep)}
	case o.Resolution < 0 || o.Resolution > MaxResolution:
		return &OptionError{"resolution", fmt.Sprintf("%d, want 0 (the model's size) or up to %d", o.Resolution, MaxResolution)}
	}
	for _, c := range []struct {
		name      string
		v, lo, hi float64
		open      bool
	}{
		{"lr", o.LearningRate, 0, 1, true},
		{"word_lr", o.WordLR, 0, 1, false},
		{"first_weight", o.FirstWeight, 0, 1e3, false},
		{"second_weight", o.SecondWeight, 0, 1e3, false},
		{"max_grad_norm", o.MaxGradNorm, 0, 1e6, false},
		{"beta1", o.Beta1, 0, 1, false},
		{"beta2", o.Beta2, 0, 1, false},
		{"weight_decay", o.WeightDecay, 0, 1, false},
		{"epsilon", o.Epsilon, 0, 1, true},
	} {
		if err := finite(c.name, c.v, c.lo, c.hi, c.open); err != nil {
			return err
		}
	}
	if o.Beta1 >= 1 || o.Beta2 >= 1 {
		return &OptionError{"beta1/beta2", "must be below 1"}
	}
	if o.Instance != "" && !weights.IsTemplate(o.Instance) {
		return &OptionError{"instance", fmt.Sprintf("%q: want \"{}\" exactly once", o.Instance)}
	}
	if _, err := SentenceSet(o.Sentences); err != nil {
		return &OptionError{"sentences", err.Error()}
	}
	return nil
}

// Settings are the options as the residual file records them (its train.* metadata keys).
func (o Options) Settings() map[string]string {
	f := fmtFloat
	return map[string]string{
		"steps":         strconv.Itoa(o.Steps),
		"lr":            f(o.LearningRate),
		"resolution":    strconv.Itoa(o.Resolution),
		"first_weight":  f(o.FirstWeight),
		"second_weight": f(o.SecondWeight),
		"max_grad_norm": f(o.MaxGradNorm),
		"optimizer": fmt.Sprintf("adamw betas=(%s,%s) weight_decay=%s eps=%s",
			f(o.Beta1), f(o.Beta2), f(o.WeightDecay), f(o.Epsilon)),
		"seed":         strconv.FormatUint(o.Seed, 10),
		"sentences":    o.Sentences,
		"instance":     o.instance(),
		"word_lr":      f(o.wordLR()),
		"min_timestep": strconv.Itoa(o.MinTimestep),
	}
}

// ModelDefaults are the options that suit the model folder r comes from: Defaults with the
// folder's recommended steps, learning rate and preservation weights, averaged over the
// folder's own sentences when it has some. For a folder without recommendations (a Stable
// Diffusion checkpoint) they are Defaults.
func ModelDefaults(r weights.Recommended) Options {
	o := Defaults()
	t := r.Training
	o.Steps, o.LearningRate, o.FirstWeight, o.SecondWeight = t.Steps, t.LearningRate, t.FirstWeight, t.SecondWeight
	if len(t.Sentences) > 0 {
		o.Sentences = ModelSentences
	}
	o.Instance, o.WordLR, o.MinTimestep = t.Instance, t.WordLR, t.MinTimestep
	return o
}

// Summary says the recipe in a line, as the CLI and the evaluation print it: "300 steps at
// learning rate 0.002 (the word's token rows 0.01), preservation weights 0.01 and 0.001,
// sentences model".
func (o Options) Summary() string {
	s := fmt.Sprintf("%d steps at learning rate %g", o.Steps, o.LearningRate)
	if o.wordLR() != o.LearningRate {
		s += fmt.Sprintf(" (the word's token rows %g)", o.wordLR())
	}
	s += fmt.Sprintf(", preservation weights %g and %g, sentences %s", o.FirstWeight, o.SecondWeight, o.Sentences)
	if o.Instance != "" {
		s += fmt.Sprintf(", instance prompt %q", o.Instance)
	}
	if o.MinTimestep > 0 {
		s += fmt.Sprintf(", timesteps from %d", o.MinTimestep)
	}
	return s
}

// wordLR is the learning rate of the word's token rows (LearningRate unless WordLR is set).
func (o Options) wordLR() float64 {
	if o.WordLR == 0 {
		return o.LearningRate
	}
	return o.WordLR
}

// instance is the training prompt's template ("{}" for the official bare word).
func (o Options) instance() string {
	if o.Instance == "" {
		return "{}"
	}
	return o.Instance
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
