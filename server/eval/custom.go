package eval

import (
	"context"
	"fmt"
	"time"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
)

// Customisation methods, in report order.
const (
	MethodNone      = "bare word (no customisation)"
	MethodTuned     = "fine-tuned text encoder (no residual extraction)"
	MethodResidual  = "Cones 2 residual"
	MethodEmbedding = "token embedding learned directly"
)

// CustomMethods lists the methods in report order.
func CustomMethods() []string {
	return []string{MethodNone, MethodTuned, MethodResidual, MethodEmbedding}
}

// combines reports whether a method can put several custom subjects in one prompt: a
// fine-tuned text encoder is one subject's (the reason residuals exist).
func combines(method string) bool { return method != MethodTuned }

// CustomOptions configure how the subjects are learned.
type CustomOptions struct {
	Images int // "photos" per subject (the brief asks for 4 to 6)
	// Subject is the subject trainer's configuration for the residual and fine-tuned-encoder
	// methods: the model's recommended training (subject.ModelDefaults), what a user of the
	// page or of cones train gets, except a non-zero Steps or LearningRate given here.
	Subject subject.Options
	// EmbeddingSteps and EmbeddingLR configure the token-embedding method (AdamW, the same
	// images, timesteps and noise draws as the subject trainer); zero steps take the subject
	// trainer's.
	EmbeddingSteps int
	EmbeddingLR    float64
	Seed           uint64
}

// DefaultCustomOptions are the settings of docs/evaluation.md: five pictures per subject, the
// model's own training recipe.
func DefaultCustomOptions() CustomOptions {
	return CustomOptions{Images: 5, EmbeddingLR: 1e-2, Seed: 7}
}

// resolve fills the options the model decides: the subject trainer starts from the model's
// recommended training, and a non-zero step count or learning rate in o overrides it.
func (o CustomOptions) resolve(p *sd.Pipeline) CustomOptions {
	m := subject.ModelDefaults(p.Folder.Recommended)
	m.Seed = o.Subject.Seed
	if o.Subject.Steps != 0 {
		m.Steps = o.Subject.Steps
	}
	if o.Subject.LearningRate != 0 {
		m.LearningRate = o.Subject.LearningRate
	}
	o.Subject = m
	if o.EmbeddingSteps == 0 {
		o.EmbeddingSteps = o.Subject.Steps
	}
	return o
}

// prepared returns a subject's training images in the trainer's input format.
func (o CustomOptions) prepared(c CustomSubject, size int) ([][]float32, error) {
	pics, err := c.TrainingImages(o.Images, size, o.Seed+uint64(c.Colour)+uint64(c.Kind)<<8)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(pics))
	for i, p := range pics {
		img := make([]float32, 3*size*size)
		for px := range size * size {
			for ch := range 3 {
				img[ch*size*size+px] = float32(p.RGB[3*px+ch])/127.5 - 1
			}
		}
		out[i] = img
	}
	return out, nil
}

// Learned is one subject as the subject trainer learned it: the trainer (its fine-tuned text
// encoder) and the residual extracted from it, as `cones train` writes it.
type Learned struct {
	Subject  CustomSubject
	Trainer  *subject.Trainer
	Residual *residual.Residual
	Elapsed  time.Duration
}

// LearnSubject trains a subject with the project's subject trainer (the official
// train_cones2.py loop: the text encoder fine-tuned through the frozen UNet with the
// preservation losses) and extracts its residual over the trainer's sentence set. The caller
// closes the trainer.
func LearnSubject(ctx context.Context, p *sd.Pipeline, tok *tokenizer.Tokenizer, c CustomSubject, o CustomOptions, logf func(string, ...any)) (*Learned, error) {
	size := p.Model.UNet.Config.SampleSize * p.Model.VAE.DownsampleFactor()
	images, err := o.prepared(c, size)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	tr, err := subject.New(p, tok, c.Word, images, o.Subject)
	if err != nil {
		return nil, fmt.Errorf("eval: subject %s: %w", c, err)
	}
	if err := tr.Run(ctx, func(pr subject.Progress) {
		if logf != nil && (pr.Step%100 == 0 || pr.Step == pr.Steps) {
			logf("subject %s: step %d/%d loss %.4f (%.1fs)", c, pr.Step, pr.Steps, pr.Loss, time.Since(start).Seconds())
		}
	}); err != nil {
		tr.Close()
		return nil, fmt.Errorf("eval: subject %s: %w", c, err)
	}
	r, err := tr.Residual()
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("eval: subject %s: %w", c, err)
	}
	return &Learned{Subject: c, Trainer: tr, Residual: r, Elapsed: time.Since(start)}, nil
}
