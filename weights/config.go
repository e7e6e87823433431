package weights

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ConfigError reports a config value this project cannot run: malformed, inconsistent with
// another field, or a diffusers feature that Stable Diffusion 1.x/2.x does not use.
type ConfigError struct {
	Field   string // the diffusers/transformers key
	Problem string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Problem }

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// OneOrList is a config value written either as one value for every block or as a list with
// one value per block, as diffusers allows for attention_head_dim and only_cross_attention.
type OneOrList[T any] struct {
	Values []T
	Single bool // written as a single value (Values has one element)
}

// One returns a OneOrList holding a single value.
func One[T any](v T) OneOrList[T] { return OneOrList[T]{Values: []T{v}, Single: true} }

// List returns a OneOrList holding one value per block.
func List[T any](v ...T) OneOrList[T] { return OneOrList[T]{Values: v} }

// At returns the value for block i.
func (o OneOrList[T]) At(i int) T {
	if o.Single {
		return o.Values[0]
	}
	return o.Values[i]
}

// UnmarshalJSON accepts a scalar or an array; null leaves the default in place.
func (o *OneOrList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var vs []T
		if err := json.Unmarshal(b, &vs); err != nil {
			return err
		}
		*o = OneOrList[T]{Values: vs}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = One(v)
	return nil
}

// MarshalJSON writes the value back in the form it was read in.
func (o OneOrList[T]) MarshalJSON() ([]byte, error) {
	if o.Single && len(o.Values) == 1 {
		return json.Marshal(o.Values[0])
	}
	return json.Marshal(o.Values)
}

// check requires one value, or exactly n.
func (o OneOrList[T]) check(field string, n int) error {
	switch {
	case o.Single && len(o.Values) == 1:
		return nil
	case len(o.Values) != n:
		return configErr(field, "has %d entries, want 1 or %d (one per block)", len(o.Values), n)
	}
	return nil
}

// decodeConfig unmarshals data over out (which holds the defaults), naming the file's kind in
// errors so that a type mismatch reads as a config problem rather than a Go one.
func decodeConfig(kind string, data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s config: %s", kind, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// ModelIndex is model_index.json: which library and class builds each component.
type ModelIndex struct {
	ClassName        string
	DiffusersVersion string
	// Components maps a component folder (unet, vae, ...) to its [library, class]; entries
	// that are [null, null] (a removed safety checker) are left out.
	Components map[string][2]string
}

// ParseModelIndex parses and checks model_index.json: the five components a Stable Diffusion
// pipeline needs must be present with the classes this project implements.
func ParseModelIndex(data []byte) (ModelIndex, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return ModelIndex{}, fmt.Errorf("model index: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	mi := ModelIndex{Components: map[string][2]string{}}
	for k, v := range raw {
		switch k {
		case "_class_name":
			_ = json.Unmarshal(v, &mi.ClassName)
			continue
		case "_diffusers_version":
			_ = json.Unmarshal(v, &mi.DiffusersVersion)
			continue
		}
		var pair []*string
		if json.Unmarshal(v, &pair) != nil || len(pair) != 2 {
			continue // a flag such as requires_safety_checker
		}
		if pair[0] != nil && pair[1] != nil {
			mi.Components[k] = [2]string{*pair[0], *pair[1]}
		}
	}
	return mi, mi.Validate()
}

// Validate checks that every component this project loads is there, with a class it runs.
func (mi ModelIndex) Validate() error {
	want := []struct {
		name    string
		classes []string
	}{
		{"text_encoder", []string{"CLIPTextModel"}},
		{"tokenizer", []string{"CLIPTokenizer", "CLIPTokenizerFast"}},
		{"unet", []string{"UNet2DConditionModel"}},
		{"vae", []string{"AutoencoderKL"}},
		{"scheduler", nil},
	}
	for _, w := range want {
		c, ok := mi.Components[w.name]
		if !ok {
			return configErr(w.name, "component missing from model_index.json")
		}
		if w.classes != nil && !slices.Contains(w.classes, c[1]) {
			return configErr(w.name, "class %q is not supported (want %s)", c[1], strings.Join(w.classes, " or "))
		}
	}
	return nil
}
