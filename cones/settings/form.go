package settings

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Form is the page's settings form as strings, keyed by the same names as the JSON fields.
type Form map[string]string

// FromForm reads the numeric and text fields of the form into s (prompt, subjects and layout are
// set by the caller). Every unreadable field is reported as a *FieldError; fields that parse keep
// their value even when another one fails, so nothing the person typed is lost.
func FromForm(f Form) (Settings, error) {
	s := Settings{Format: Format, Prompt: f["prompt"], Sampler: strings.TrimSpace(f["sampler"])}
	var errs []error
	ints := []struct {
		name string
		dst  *int
	}{{"steps", &s.Steps}, {"guided_steps", &s.GuidanceSteps}, {"width", &s.Width}, {"height", &s.Height}}
	for _, it := range ints {
		v, err := strconv.Atoi(strings.TrimSpace(f[it.name]))
		if err != nil {
			errs = append(errs, fieldErr(it.name, "%q is not a whole number", f[it.name]))
			continue
		}
		*it.dst = v
	}
	floats := []struct {
		name string
		dst  *float64
	}{{"guidance_weight", &s.GuidanceWeight}, {"cfg", &s.CFGScale}}
	for _, it := range floats {
		v, err := strconv.ParseFloat(strings.TrimSpace(f[it.name]), 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			errs = append(errs, fieldErr(it.name, "%q is not a number", f[it.name]))
			continue
		}
		*it.dst = v
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(f["seed"]), 10, 64)
	if err != nil {
		errs = append(errs, fieldErr("seed", "%q is not a whole number from 0 to %d", f["seed"], uint64(MaxSeed)))
	}
	s.Seed = seed
	return s, errors.Join(errs...)
}

// ToForm is the inverse of FromForm, for filling the form from stored settings.
func (s *Settings) ToForm() Form {
	return Form{
		"prompt":          s.Prompt,
		"sampler":         s.Sampler,
		"steps":           strconv.Itoa(s.Steps),
		"guided_steps":    strconv.Itoa(s.GuidanceSteps),
		"guidance_weight": strconv.FormatFloat(s.GuidanceWeight, 'g', -1, 64),
		"cfg":             strconv.FormatFloat(s.CFGScale, 'g', -1, 64),
		"seed":            strconv.FormatUint(s.Seed, 10),
		"width":           strconv.Itoa(s.Width),
		"height":          strconv.Itoa(s.Height),
	}
}

// Fields lists the *FieldError fields in err (joined or single), for marking form controls.
func Fields(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe)
		}
	}
	walk(err)
	return out
}
