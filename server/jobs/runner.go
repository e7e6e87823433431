package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/userfile"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/backends"
)

// Runner trains jobs for one model.
type Runner interface {
	// Model describes the model residuals are made for (cheap: no weights are loaded).
	Model() (ModelInfo, error)
	// Recommended are the model folder's recommended settings (weights.RecommendedName, or the
	// official ones for a folder without it): the options a request leaves out start from them.
	Recommended() (weights.Recommended, error)
	// Train runs one job to its residual file. It returns ctx's cause when ctx ends first,
	// after saving a checkpoint if the run asks for checkpoints.
	Train(ctx context.Context, run Run) ([]byte, error)
}

// ModelInfo is what residuals made on the server will be for.
type ModelInfo struct {
	Family      string `json:"family"`
	Fingerprint string `json:"fingerprint"`
	Width       int    `json:"width"`      // the text encoder's width: a residual's length
	Resolution  int    `json:"resolution"` // the native image size, the default training size
	Multiple    int    `json:"multiple"`   // training sizes must be multiples of this
	Prediction  string `json:"prediction"` // epsilon or v_prediction
}

// Run is one job as a Runner sees it.
type Run struct {
	Word    string
	Options subject.Options
	Images  []string // the photos' files
	// Checkpoint is the file the run resumes from when it exists, and saves to every
	// CheckpointEvery steps and after each CheckpointInterval of training (0: neither), and
	// when it is stopped for a shutdown (if either is set).
	Checkpoint         string
	CheckpointEvery    int
	CheckpointInterval time.Duration
	Progress           func(subject.Progress)
	// Checkpointed reports each checkpoint saved, or why saving one failed (training goes on:
	// only the ability to resume from that step is lost).
	Checkpointed func(step int, err error)
	// Decode, when set, is asked for the memory to decode each photo before its pixels are
	// decoded (the server's decoding budget); it returns the function that gives it back.
	Decode func(ctx context.Context, bytes int64) (release func(), err error)
}

func (r Run) checkpoints() bool { return r.CheckpointEvery > 0 || r.CheckpointInterval > 0 }

// PipelineRunner trains with package subject on a diffusers model folder, loaded on first use
// (a failed load is retried by the next job).
type PipelineRunner struct {
	Dir    string
	Limits subject.ImageLimits

	mu      sync.Mutex // serialises loading and the model facts
	backend backends.Backend
	p       *sd.Pipeline
	tok     *tokenizer.Tokenizer
	info    *ModelInfo
	rec     *weights.Recommended
}

// Model reads the model's configs and fingerprints its text encoder from small prefixes of
// its weights.
func (r *PipelineRunner) Model() (ModelInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info != nil {
		return *r.info, nil
	}
	f, err := weights.Open(r.Dir)
	if err != nil {
		return ModelInfo{}, err
	}
	m, err := f.Describe()
	if err != nil {
		return ModelInfo{}, fmt.Errorf("model folder %s: %w", r.Dir, err)
	}
	w, err := f.Weights(weights.TextEncoderDir)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("model folder %s: %w", r.Dir, err)
	}
	fp, err := w.Fingerprint(m.TextEncoder)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("model folder %s: %w", r.Dir, err)
	}
	r.info = &ModelInfo{Family: weights.ModelFamily(f.TextEncoder), Fingerprint: fp, Width: m.TextEncoder.Width(),
		Resolution: f.UNet.SampleSize * m.VAE.DownsampleFactor(), Multiple: m.VAE.DownsampleFactor() * m.UNet.DownsampleFactor(),
		Prediction: f.Scheduler.PredictionType}
	return *r.info, nil
}

// Recommended reads the folder's cones.json once (the official settings when it has none).
func (r *PipelineRunner) Recommended() (weights.Recommended, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec != nil {
		return *r.rec, nil
	}
	rec, err := weights.LoadRecommended(os.DirFS(r.Dir))
	if err != nil {
		return weights.Recommended{}, fmt.Errorf("model folder %s: %w", r.Dir, err)
	}
	r.rec = &rec
	return rec, nil
}

// pipeline loads the model once.
func (r *PipelineRunner) pipeline() (*sd.Pipeline, *tokenizer.Tokenizer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p != nil {
		return r.p, r.tok, nil
	}
	if r.backend == nil {
		b, err := sd.NewBackend()
		if err != nil {
			return nil, nil, err
		}
		r.backend = b
	}
	p, err := sd.Load(r.Dir, r.backend)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(r.Dir, weights.TokenizerDir))
	if err != nil {
		return nil, nil, err
	}
	r.p, r.tok = p, tok
	return p, tok, nil
}

// Train implements Runner.
func (r *PipelineRunner) Train(ctx context.Context, run Run) ([]byte, error) {
	p, tok, err := r.pipeline()
	if err != nil {
		return nil, fmt.Errorf("load the model: %w", err)
	}
	size := subject.Resolution(p, run.Options)
	images := make([][]float32, len(run.Images))
	for i, path := range run.Images {
		if images[i], err = r.preparePhoto(ctx, run, fmt.Sprintf("photo %d", i+1), path, size); err != nil {
			return nil, err
		}
	}
	tr, err := subject.New(p, tok, run.Word, images, run.Options)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	if err := resume(tr, run); err != nil {
		return nil, err
	}
	last := time.Now()
	err = tr.Run(ctx, func(pr subject.Progress) {
		if run.Progress != nil {
			run.Progress(pr)
		}
		due := run.CheckpointEvery > 0 && pr.Step%run.CheckpointEvery == 0 ||
			run.CheckpointInterval > 0 && time.Since(last) >= run.CheckpointInterval
		if due && pr.Step < pr.Steps {
			checkpoint(tr, run)
			last = time.Now()
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			if run.checkpoints() && errors.Is(context.Cause(ctx), ErrShutdown) {
				if cerr := checkpoint(tr, run); cerr != nil {
					return nil, fmt.Errorf("stopped, and the checkpoint failed: %w", cerr)
				}
			}
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	res, err := tr.Residual()
	if err != nil {
		return nil, err
	}
	return res.Marshal()
}

// preparePhoto decodes one photo into the training size, one at a time and within the memory
// the run's Decode grants: the full-size pixels live only until they are scaled down.
func (r *PipelineRunner) preparePhoto(ctx context.Context, run Run, name, path string, size int) ([]float32, error) {
	data, err := userfile.Read(path, "photo", r.Limits.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cost := int64(0)
	if run.Decode != nil {
		h, err := subject.ImageHeader(name, bytes.NewReader(data), int64(len(data)), r.Limits)
		if err != nil {
			return nil, err
		}
		cost = h.PrepareCost(int64(len(data)))
		release, err := run.Decode(ctx, cost)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	out, err := func() ([]float32, error) { // the full-size image lives only in here
		img, _, err := subject.DecodeImage(name, data, r.Limits)
		if err != nil {
			return nil, err
		}
		return subject.PrepareImage(img, size), nil
	}()
	collect(cost)
	return out, err
}

// resume restores the run's checkpoint when there is one.
func resume(tr *subject.Trainer, run Run) error {
	if run.Checkpoint == "" {
		return nil
	}
	f, err := os.Open(run.Checkpoint)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return tr.LoadState(f, st.Size())
}

// checkpoint saves the trainer's state atomically and reports it.
func checkpoint(tr *subject.Trainer, run Run) error {
	if run.Checkpoint == "" {
		return nil
	}
	err := saveState(tr, run.Checkpoint)
	if run.Checkpointed != nil {
		run.Checkpointed(tr.Done(), err)
	}
	return err
}

func saveState(tr *subject.Trainer, path string) error {
	return userfile.WriteWith(path, 0o644, tr.SaveState)
}
