package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxConfigBytes bounds a layout or official configuration JSON file.
const MaxConfigBytes = 1 << 20

// Sampling holds the settings of an official configuration besides the layout.
type Sampling struct {
	Prompt         string
	GuidanceSteps  int     // steps that get layout guidance and self-recurrence
	GuidanceWeight float64 // scale of the attention edit
	WeightNegative float64
	SubjectList    []SubjectToken    // residual placement: word and token index
	Residuals      map[string]string // residual_dict: word -> .pt path, as written
	LayoutPath     string            // layout: the colour PNG's path, as written
}

// SubjectToken is one subject_list entry: a residual's word and the token index it is added at
// (0 is <|startoftext|>).
type SubjectToken struct {
	Word  string
	Index int
}

// ColorSubject is one color_context entry: pixels of Color belong to Word, with Weight.
type ColorSubject struct {
	Key    string // the key as written, for messages
	Color  [3]uint8
	Word   string
	Weight float64
}

// Official is one entry of an official inference configuration (guidance_config_example.json).
type Official struct {
	Sampling
	Colors []ColorSubject // color_context in file order (the order the official code sums in)
}

// officialJSON mirrors the file; pointers tell a missing field from a zero one.
type officialJSON struct {
	Prompt         *string           `json:"prompt"`
	ResidualDict   map[string]string `json:"residual_dict"`
	ColorContext   *colorContext     `json:"color_context"`
	GuidanceSteps  *json.Number      `json:"guidance_steps"`
	GuidanceWeight *float64          `json:"guidance_weight"`
	WeightNegative *float64          `json:"weight_negative"`
	Layout         *string           `json:"layout"`
	SubjectList    *[]subjectPair    `json:"subject_list"`
}

// ParseOfficialConfig reads an official configuration: a JSON list of entries (inference.py
// uses the first) or a single entry object.
func ParseOfficialConfig(data []byte) ([]Official, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("official config: %d bytes, at most %d", len(data), MaxConfigBytes)
	}
	var raws []officialJSON
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		raws = make([]officialJSON, 1)
		if err := decodeOne(trimmed, &raws[0]); err != nil {
			return nil, fmt.Errorf("official config: %w", err)
		}
	} else if err := decodeOne(trimmed, &raws); err != nil {
		return nil, fmt.Errorf("official config: %w", err)
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("official config: no entry")
	}
	out := make([]Official, len(raws))
	for i := range raws {
		o, err := raws[i].convert()
		if err != nil {
			return nil, fmt.Errorf("official config: entry %d: %w", i, err)
		}
		out[i] = o
	}
	return out, nil
}

// decodeOne decodes exactly one JSON value.
func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: data after the value")
	}
	return nil
}

func (r *officialJSON) convert() (Official, error) {
	var o Official
	switch {
	case r.Prompt == nil:
		return o, errors.New(`missing "prompt"`)
	case r.ColorContext == nil:
		return o, errors.New(`missing "color_context"`)
	case r.GuidanceSteps == nil:
		return o, errors.New(`missing "guidance_steps"`)
	case r.GuidanceWeight == nil:
		return o, errors.New(`missing "guidance_weight"`)
	case r.WeightNegative == nil:
		return o, errors.New(`missing "weight_negative"`)
	case r.SubjectList == nil:
		return o, errors.New(`missing "subject_list"`)
	}
	steps, err := strconv.Atoi(r.GuidanceSteps.String())
	if err != nil || steps < 0 || steps > 10000 {
		return o, fmt.Errorf("guidance_steps %s is not an integer in 0..10000", r.GuidanceSteps)
	}
	if err := checkWeight(*r.GuidanceWeight); err != nil {
		return o, fmt.Errorf("guidance_weight: %w", err)
	}
	if err := checkWeight(*r.WeightNegative); err != nil {
		return o, fmt.Errorf("weight_negative: %w", err)
	}
	if len(*r.ColorContext) == 0 {
		return o, errors.New(`"color_context" is empty`)
	}
	o.Sampling = Sampling{
		Prompt: *r.Prompt, GuidanceSteps: steps, GuidanceWeight: *r.GuidanceWeight,
		WeightNegative: *r.WeightNegative, Residuals: r.ResidualDict,
	}
	if r.Layout != nil {
		o.LayoutPath = *r.Layout
	}
	for _, p := range *r.SubjectList {
		o.SubjectList = append(o.SubjectList, SubjectToken(p))
	}
	o.Colors = *r.ColorContext
	return o, nil
}

// colorContext is color_context decoded in file order.
type colorContext []ColorSubject

func (cc *colorContext) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New(`"color_context" is not an object`)
	}
	seen := map[[3]uint8]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("color_context: %w", err)
		}
		key := tok.(string) // object keys are always strings
		var v colorValue
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("color_context %q: %w", key, err)
		}
		c, err := parseColor(key)
		if err != nil {
			return fmt.Errorf("color_context %q: %w", key, err)
		}
		if prev, dup := seen[c]; dup {
			return fmt.Errorf("color_context %q: same colour as %q", key, prev)
		}
		seen[c] = key
		if len(*cc) >= MaxSubjects {
			return fmt.Errorf("color_context: more than %d colours", MaxSubjects)
		}
		*cc = append(*cc, ColorSubject{Key: key, Color: c, Word: v.word, Weight: v.weight})
	}
	return nil
}

// colorValue is a [word, weight] pair.
type colorValue struct {
	word   string
	weight float64
}

func (v *colorValue) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil || len(pair) != 2 {
		return errors.New(`value is not a [word, weight] pair`)
	}
	if err := json.Unmarshal(pair[0], &v.word); err != nil || v.word == "" {
		return errors.New("word is not a non-empty string")
	}
	if err := json.Unmarshal(pair[1], &v.weight); err != nil {
		return fmt.Errorf("weight of %q is not a number", v.word)
	}
	if err := checkWeight(v.weight); err != nil {
		return fmt.Errorf("weight of %q: %w", v.word, err)
	}
	return nil
}

// subjectPair is a subject_list [word, index] pair.
type subjectPair struct {
	Word  string
	Index int
}

func (p *subjectPair) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("subject_list: %s is not a [word, index] pair", clip(data))
	}
	if err := json.Unmarshal(pair[0], &p.Word); err != nil || p.Word == "" {
		return fmt.Errorf("subject_list: %s: word is not a non-empty string", clip(data))
	}
	if err := json.Unmarshal(pair[1], &p.Index); err != nil || p.Index < 0 || p.Index >= ContextLen {
		return fmt.Errorf("subject_list %q: index %s is not an integer in 0..%d", p.Word, clip(pair[1]), ContextLen-1)
	}
	return nil
}

// parseColor reads "R,G,B" (spaces allowed, a 4th alpha component ignored like the official
// code does).
func parseColor(key string) ([3]uint8, error) {
	var c [3]uint8
	parts := strings.Split(key, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return c, fmt.Errorf(`%w: want "R,G,B"`, ErrUnknownColor)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 255 {
			return c, fmt.Errorf(`%w: component %q is not an integer in 0..255`, ErrUnknownColor, p)
		}
		if i < 3 {
			c[i] = uint8(n)
		}
	}
	return c, nil
}

// Layout builds the layout of this entry from the colour PNG: one mask subject per colour, in
// color_context order. A colour that no pixel has is an error (the official code only warns and
// then suppresses that word everywhere).
func (o *Official) Layout(pngData []byte) (*Layout, error) {
	img, err := decodeRGB(pngData)
	if err != nil {
		return nil, fmt.Errorf("layout image: %w", err)
	}
	if err := checkRegionBudget(len(o.Colors), img.W, img.H); err != nil {
		return nil, fmt.Errorf("layout image: %w", err)
	}
	l := &Layout{Negative: o.WeightNegative}
	for _, cs := range o.Colors {
		m, n := img.colourMask(cs.Color)
		if n == 0 {
			return nil, fmt.Errorf("color_context %q (%q): %w: no pixel of this colour in the %dx%d layout image",
				cs.Key, cs.Word, ErrEmptyRegion, img.W, img.H)
		}
		l.Subjects = append(l.Subjects, Subject{Word: cs.Word, Mask: m, Weight: cs.Weight})
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// ImportOfficial reads an official configuration holding one entry and its colour PNG.
func ImportOfficial(configJSON, pngData []byte) (*Layout, *Sampling, error) {
	entries, err := ParseOfficialConfig(configJSON)
	if err != nil {
		return nil, nil, err
	}
	if len(entries) != 1 {
		return nil, nil, fmt.Errorf("official config: %d entries; import them one at a time with ParseOfficialConfig", len(entries))
	}
	l, err := entries[0].Layout(pngData)
	if err != nil {
		return nil, nil, fmt.Errorf("official config: %w", err)
	}
	return l, &entries[0].Sampling, nil
}

// clip shortens raw JSON for an error message.
func clip(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
