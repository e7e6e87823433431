package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/dotgrad"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/server/subject"
)

// Customisation methods.
const (
	MethodNone      = "no customisation (the class word alone)"
	MethodResidual  = "Cones 2 residual (text encoder fine-tuned, mean shift)"
	MethodEmbedding = "token embedding learned directly"
)

// CustomOptions configure how the subjects are learned.
type CustomOptions struct {
	Images int // "photos" per subject (the brief asks for 4 to 6)
	// Subject is the subject trainer's configuration for the residual method.
	Subject subject.Options
	// Sentences is how many shapes-world sentences containing the word the residual's mean
	// shift is averaged over.
	Sentences int
	// EmbeddingSteps and EmbeddingLR configure the token-embedding method (AdamW, the same
	// images, timesteps and noise distribution as the subject trainer).
	EmbeddingSteps int
	EmbeddingLR    float64
	Seed           uint64
}

// DefaultCustomOptions are the settings of docs/evaluation.md.
func DefaultCustomOptions() CustomOptions {
	o := subject.Defaults()
	o.Steps = 400
	o.LearningRate = 1e-4
	o.Seed = 7
	return CustomOptions{Images: 5, Subject: o, Sentences: 64, EmbeddingSteps: 400, EmbeddingLR: 1e-2, Seed: 7}
}

// prepared returns a subject's training images in the trainer's input format.
func (o CustomOptions) prepared(c CustomSubject, size int) ([][]float32, error) {
	pics, err := c.TrainingImages(o.Images, size, o.Seed+uint64(c.Colour))
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

// TrainResidual learns a subject's residual with the project's subject trainer (package
// subject: the official train_cones2.py loop fine-tuning the text encoder through the frozen
// UNet), then takes the mean shift of the word's output embedding over sentences of the shapes
// world that contain the word (the official script averages over English templates such as
// "a photo of a {}", which this model never read).
func TrainResidual(ctx context.Context, p *sd.Pipeline, tok *tokenizer.Tokenizer, c CustomSubject, o CustomOptions, logf func(string, ...any)) (*residual.Residual, error) {
	dotgrad.Register()
	size := p.Model.UNet.Config.SampleSize * p.Model.VAE.DownsampleFactor()
	images, err := o.prepared(c, size)
	if err != nil {
		return nil, err
	}
	tr, err := subject.New(p, tok, c.Word, images, o.Subject)
	if err != nil {
		return nil, fmt.Errorf("eval: subject %q: %w", c.Word, err)
	}
	defer tr.Close()
	start := time.Now()
	if err := tr.Run(ctx, func(pr subject.Progress) {
		if logf != nil && (pr.Step%100 == 0 || pr.Step == pr.Steps) {
			logf("residual %s: step %d/%d loss %.4f (%.1fs)", c.Word, pr.Step, pr.Steps, pr.Loss, time.Since(start).Seconds())
		}
	}); err != nil {
		return nil, fmt.Errorf("eval: subject %q: %w", c.Word, err)
	}
	return ShapesResidual(p, tok, tr, c, o)
}

// ShapesResidual is the residual of a trained subject averaged over sentences of the shapes
// world that contain its word.
func ShapesResidual(p *sd.Pipeline, tok *tokenizer.Tokenizer, tr *subject.Trainer, c CustomSubject, o CustomOptions) (*residual.Residual, error) {
	sentences := WordSentences(c, o.Sentences, o.Seed)
	data, k, err := meanShift(p, tok, tr, c.Word, sentences)
	if err != nil {
		return nil, fmt.Errorf("eval: subject %q: %w", c.Word, err)
	}
	return &residual.Residual{Word: c.Word, Tokens: k, Width: p.Model.TextEncoder.Width(), Data: data,
		Model: residual.Model{Family: p.Family, TextEncoder: p.Fingerprint}, Created: time.Now().UTC(),
		Training: map[string]string{"trainer": "server/subject", "sentences": fmt.Sprint(len(sentences)), "images": fmt.Sprint(o.Images)}}, nil
}

// WordSentences returns n captions of the shapes world in which the word stands for the subject
// alone or with one or two other, named, shapes of other kinds: "a circle", "a red square and a
// circle", ...
func WordSentences(c CustomSubject, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x5e17))
	var others []string
	for _, col := range shapes.Colours() {
		for _, k := range shapes.Kinds() {
			if k != c.Kind {
				others = append(others, shapes.Palette()[col].Name+" "+k.String())
			}
		}
	}
	out := make([]string, n)
	for i := range out {
		phrases := []string{c.Word}
		for range rng.IntN(3) {
			phrases = append(phrases, others[rng.IntN(len(others))])
		}
		rng.Shuffle(len(phrases), func(a, b int) { phrases[a], phrases[b] = phrases[b], phrases[a] })
		out[i] = shapes.Caption(phrases)
	}
	return out
}

// meanShift is the mean over sentences of tuned minus frozen text encoder output at the word's
// tokens, and the word's token count.
func meanShift(p *sd.Pipeline, tok *tokenizer.Tokenizer, tr *subject.Trainer, word string, sentences []string) ([]float32, int, error) {
	var ids [][]int
	var pos [][]int
	for _, s := range sentences {
		row, err := tok.EncodePadded(s)
		if err != nil {
			return nil, 0, err
		}
		at, err := tok.Positions(s, word)
		if err != nil {
			return nil, 0, err
		}
		ids, pos = append(ids, row), append(pos, at)
	}
	tuned, err := tr.Encode(ids)
	if err != nil {
		return nil, 0, err
	}
	frozen, err := p.TextEncoder.Encode(ids)
	if err != nil {
		return nil, 0, err
	}
	n, w := tuned.Shape[1], tuned.Shape[2]
	k := len(pos[0])
	out := make([]float32, k*w)
	for s, at := range pos {
		for i, t := range at {
			for j := range w {
				o := (s*n+t)*w + j
				out[i*w+j] += (tuned.Data[o] - frozen.Data[o]) / float32(len(sentences))
			}
		}
	}
	return out, k, nil
}
