package pretrain

import (
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
)

// templateSeed draws the default model's residual sentences (server/shapes.Templates).
const templateSeed = 11

// DefaultRecommended are the settings the default model ships with (cones.json), measured on
// it (docs/evaluation.md): Stable Diffusion's settings are wrong for a 32-pixel model that
// learns a subject in a few hundred steps and needs a strong layout weight.
func DefaultRecommended() weights.Recommended {
	return weights.Recommended{
		Format:   weights.RecommendedFormat,
		Sampling: weights.RecommendedSampling{Sampler: "lms", Steps: 25, GuidedSteps: 25, GuidanceWeight: 1.5, CFG: 7.5},
		Training: weights.RecommendedTraining{Steps: 300, LearningRate: 2e-3, FirstWeight: 1e-2, SecondWeight: 1e-1,
			Sentences: shapes.Templates(64, templateSeed)},
		Example: weights.RecommendedExample{Prompt: "a red circle and a blue square", Subjects: []string{"red circle", "blue square"}},
	}
}
