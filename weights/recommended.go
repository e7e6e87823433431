package weights

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
)

// RecommendedName is the file in a model folder's root that says which Cones 2 settings suit
// the model. Stable Diffusion checkpoints have none and get OfficialRecommended; a model trained
// for another size and world (the default shapes model) carries its own, because a 32-pixel
// model wants other steps, learning rates and guidance weights than SD 2.1.
const RecommendedName = "cones.json"

// RecommendedFormat tags the file's JSON.
const RecommendedFormat = "cones2-model-settings/1"

// Recommended are a model's default settings for sampling, subject training and the page's
// starting example. Every consumer (cones generate, cones train, the training API, the page)
// starts from these; flags and form fields still override them.
type Recommended struct {
	Format   string              `json:"format"`
	Sampling RecommendedSampling `json:"sampling"`
	Training RecommendedTraining `json:"training"`
	Example  RecommendedExample  `json:"example"`
}

// RecommendedSampling are the generation defaults.
type RecommendedSampling struct {
	Sampler        string  `json:"sampler"`
	Steps          int     `json:"steps"`
	GuidedSteps    int     `json:"guided_steps"` // leading steps with layout guidance and self-recurrence
	GuidanceWeight float64 `json:"guidance_weight"`
	CFG            float64 `json:"cfg"`
}

// RecommendedTraining are the subject trainer's defaults.
type RecommendedTraining struct {
	Steps        int     `json:"steps"`
	LearningRate float64 `json:"lr"`
	FirstWeight  float64 `json:"first_weight"`  // preservation of <|startoftext|>'s embedding
	SecondWeight float64 `json:"second_weight"` // preservation of the embeddings after the word
	// Instance is the prompt the subject's pictures are trained under, with "{}" once where the
	// word goes; empty means the official bare word. A model whose captions always put an
	// article before a shape word ("a triangle") learns a subject better in that form.
	Instance string `json:"instance,omitempty"`
	// WordLR is the learning rate of the word's own token-embedding rows (absent: lr, as the
	// official single parameter group); MinTimestep the lowest training timestep drawn
	// (absent: 0, the official uniform range).
	WordLR      float64 `json:"word_lr,omitempty"`
	MinTimestep int     `json:"min_timestep,omitempty"`
	// Sentences are the templates the residual is averaged over, each with "{}" once where the
	// subject's word goes; empty means the official English templates. A model that never read
	// English ("a photo of a {}") needs sentences of its own world.
	Sentences []string `json:"sentences,omitempty"`
}

// RecommendedExample is what the page starts with: a prompt the model understands and the
// subject phrases of that prompt that new layout boxes are offered for.
type RecommendedExample struct {
	Prompt   string   `json:"prompt"`
	Subjects []string `json:"subjects"`
}

// OfficialRecommended are the official Cones 2 settings for Stable Diffusion: the inference
// configuration's sampling (LMS, 50 steps all guided, weight 0.08, CFG 7.5), the README's
// training command (3000 steps at 5e-6, preservation weights 1e-2 and 1e-3) and its example.
func OfficialRecommended() Recommended {
	return Recommended{
		Format:   RecommendedFormat,
		Sampling: officialSampling(),
		Training: RecommendedTraining{Steps: 3000, LearningRate: 5e-6, FirstWeight: 1e-2, SecondWeight: 1e-3},
		Example:  RecommendedExample{Prompt: "a mug and a dog on the beach", Subjects: []string{"mug", "dog"}},
	}
}

// officialSampling are settings.Defaults' sampling fields: the one copy of the official values.
func officialSampling() RecommendedSampling {
	d := settings.Defaults(0, 0)
	return RecommendedSampling{Sampler: d.Sampler, Steps: d.Steps, GuidedSteps: d.GuidanceSteps,
		GuidanceWeight: d.GuidanceWeight, CFG: d.CFGScale}
}

// Settings are the official settings (settings.Defaults, no size) with the recommended
// sampling put over them: where cones generate and the page start before their flags and
// form fields.
func (s RecommendedSampling) Settings() settings.Settings {
	d := settings.Defaults(0, 0)
	d.Sampler, d.Steps, d.GuidanceSteps, d.GuidanceWeight, d.CFGScale = s.Sampler, s.Steps, s.GuidedSteps, s.GuidanceWeight, s.CFG
	return d
}

// maxRecommendedBytes bounds the file: it is a few hundred bytes, plus sentences.
const maxRecommendedBytes = 1 << 20

// ParseRecommended reads a model's settings file. Fields the file leaves out keep the official
// values, so a file may say only what differs; unknown fields are refused (a misspelt key
// would silently do nothing).
func ParseRecommended(data []byte) (Recommended, error) {
	if len(data) > maxRecommendedBytes {
		return Recommended{}, fmt.Errorf("%s: %d bytes, at most %d", RecommendedName, len(data), maxRecommendedBytes)
	}
	r := OfficialRecommended()
	r.Format = ""
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Recommended{}, fmt.Errorf("%s: %w", RecommendedName, err)
	}
	if dec.More() {
		return Recommended{}, fmt.Errorf("%s: trailing data after the JSON object", RecommendedName)
	}
	if r.Format != RecommendedFormat {
		return Recommended{}, fmt.Errorf("%s: format %q, want %q", RecommendedName, r.Format, RecommendedFormat)
	}
	if err := r.Validate(); err != nil {
		return Recommended{}, fmt.Errorf("%s: %w", RecommendedName, err)
	}
	return r, nil
}

// Validate checks that every value is one a generation or a training run can take.
func (r Recommended) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s, t := r.Sampling, r.Training
	// The sampling a model recommends is what the page's form and cones generate start from,
	// so it is held to the limits every generation's settings are (cones/settings).
	st := s.Settings()
	for _, fe := range settings.Fields(st.ValidateSampling(schedule.Names())) {
		bad("sampling.%s: %s", fe.Field, fe.Msg)
	}
	if t.Steps < 1 || t.Steps > 100000 {
		bad("training.steps %d, want 1..100000", t.Steps)
	}
	if !inRange(t.LearningRate, 0, 1) || t.LearningRate == 0 {
		bad("training.lr %v, want (0, 1]", t.LearningRate)
	}
	if !inRange(t.FirstWeight, 0, 1e3) || !inRange(t.SecondWeight, 0, 1e3) {
		bad("training preservation weights %v, %v: want 0..1000", t.FirstWeight, t.SecondWeight)
	}
	if !inRange(t.WordLR, 0, 1) || t.MinTimestep < 0 || t.MinTimestep > 100000 {
		bad("training word_lr %v, min_timestep %d: want 0..1 and 0..100000", t.WordLR, t.MinTimestep)
	}
	if t.Instance != "" && !IsTemplate(t.Instance) {
		bad("training.instance %q: want \"{}\" exactly once", t.Instance)
	}
	for i, tpl := range t.Sentences {
		if !IsTemplate(tpl) {
			bad("training.sentences[%d] %q: want \"{}\" exactly once", i, tpl)
		}
	}
	if strings.TrimSpace(r.Example.Prompt) == "" {
		bad("example.prompt is empty")
	}
	for _, sub := range r.Example.Subjects {
		if !strings.Contains(r.Example.Prompt, sub) {
			bad("example subject %q is not in the prompt %q", sub, r.Example.Prompt)
		}
	}
	return errors.Join(errs...)
}

func inRange(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }

// LoadRecommended reads the folder's settings file, or returns OfficialRecommended when the
// folder has none (a Stable Diffusion checkpoint).
func LoadRecommended(fsys fs.FS) (Recommended, error) {
	data, err := fs.ReadFile(fsys, RecommendedName)
	if errors.Is(err, fs.ErrNotExist) {
		return OfficialRecommended(), nil
	}
	if err != nil {
		return Recommended{}, err
	}
	return ParseRecommended(data)
}

// Marshal encodes the settings as indented JSON, as the pretrainer writes them.
func (r Recommended) Marshal() ([]byte, error) {
	r.Format = RecommendedFormat
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// IsTemplate reports whether s is a sentence template: the subject's word's place marked "{}"
// exactly once (training.instance and training.sentences here, the trainer's instance option).
func IsTemplate(s string) bool { return strings.Count(s, "{}") == 1 }
