package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

const trainUsage = `usage: cones train -model DIR -word WORD -out FILE.safetensors [flags] PHOTO|FOLDER...

Trains a Cones 2 subject: fine-tunes the model's text encoder on 3-10 photos of the subject
(PNG, JPEG or WebP; a folder stands for the photos in it) and writes the residual file the
page's subject library and 'cones generate -residual' take. Defaults are the official ones
(3000 steps at learning rate 5e-6, preservation weights 1e-2 and 1e-3, the model's native
resolution). It runs on GoMLX: the pure-Go CPU backend by default, XLA on a GPU with a binary
built with -tags xla and GOMLX_BACKEND=xla:cuda.

With -checkpoint, the run saves its state there every -checkpoint-every steps and when
interrupted (Ctrl-C); the same command run again continues from it.

flags:
`

type trainFlags struct {
	model, word, out, sentences, checkpoint string
	steps, resolution, checkpointEvery      int
	lr, first, second                       float64
	seed                                    uint64
	photos                                  []string
}

func parseTrainFlags(args []string) (*trainFlags, error) {
	d := subject.Defaults()
	f := &trainFlags{}
	fl := flag.NewFlagSet("train", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), trainUsage); fl.PrintDefaults() }
	fl.StringVar(&f.model, "model", "", "diffusers model folder (required)")
	fl.StringVar(&f.word, "word", "", "the subject's class word, as you will write it in prompts, e.g. dog (required)")
	fl.StringVar(&f.out, "out", "", "residual file to write (required)")
	fl.IntVar(&f.steps, "steps", d.Steps, "training steps")
	fl.Float64Var(&f.lr, "lr", d.LearningRate, "AdamW learning rate")
	fl.IntVar(&f.resolution, "resolution", 0, "training image size in pixels (0: the model's native size)")
	fl.Float64Var(&f.first, "first-weight", d.FirstWeight, "preservation weight of the <|startoftext|> embedding")
	fl.Float64Var(&f.second, "second-weight", d.SecondWeight, "preservation weight of the embeddings after the word")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of every random draw")
	fl.StringVar(&f.sentences, "sentences", d.Sentences, "sentences the residual is averaged over: "+strings.Join(subject.SentenceSets(), " or "))
	fl.StringVar(&f.checkpoint, "checkpoint", "", "file to save the training state to, and resume from when it exists")
	fl.IntVar(&f.checkpointEvery, "checkpoint-every", 250, "steps between checkpoints (with -checkpoint)")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	f.photos = fl.Args()
	switch {
	case f.model == "":
		return nil, errors.New("train: -model is required")
	case f.word == "":
		return nil, errors.New("train: -word is required (the class word of your subject, e.g. dog)")
	case f.out == "":
		return nil, errors.New("train: -out is required")
	case len(f.photos) == 0:
		return nil, errors.New("train: no photos given (list the files or a folder after the flags)")
	case f.checkpointEvery < 1:
		return nil, errors.New("train: -checkpoint-every must be at least 1")
	}
	return f, nil
}

func (f *trainFlags) options() subject.Options {
	o := subject.Defaults()
	o.Steps, o.LearningRate, o.Resolution = f.steps, f.lr, f.resolution
	o.FirstWeight, o.SecondWeight, o.Seed, o.Sentences = f.first, f.second, f.seed, f.sentences
	return o
}

func runTrain(args []string) error {
	f, err := parseTrainFlags(args)
	if err != nil {
		return err
	}
	if err := f.options().Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	paths, err := photoFiles(f.photos)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	backend, err := sd.NewBackend()
	if err != nil {
		return err
	}
	p, err := sd.Load(f.model, backend)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(f.model, weights.TokenizerDir))
	if err != nil {
		return err
	}
	images, err := loadPhotos(paths, subject.Resolution(p, f.options()))
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	tr, err := subject.New(p, tok, f.word, images, f.options())
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer tr.Close()
	return trainAndWrite(ctx, f, tr, os.Stderr)
}

// trainAndWrite resumes from the checkpoint if there is one, trains with a progress line,
// checkpoints, and writes the residual.
func trainAndWrite(ctx context.Context, f *trainFlags, tr *subject.Trainer, log io.Writer) error {
	if f.checkpoint != "" {
		if err := loadCheckpoint(tr, f.checkpoint); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if tr.Done() > 0 {
			fmt.Fprintf(log, "resuming from %s at step %d\n", f.checkpoint, tr.Done())
		}
	}
	line := newTrainLine(log, tr.Done())
	err := tr.Run(ctx, func(p subject.Progress) {
		line.update(p)
		if f.checkpoint != "" && p.Step%f.checkpointEvery == 0 && p.Step < p.Steps {
			if err := saveCheckpoint(tr, f.checkpoint); err != nil {
				fmt.Fprintf(log, "\ncheckpoint not saved: %v\n", err)
			}
		}
	})
	line.done()
	if err != nil {
		if ctx.Err() != nil && f.checkpoint != "" {
			if cerr := saveCheckpoint(tr, f.checkpoint); cerr != nil {
				return fmt.Errorf("train: interrupted at step %d, and the checkpoint failed: %w", tr.Done(), cerr)
			}
			return fmt.Errorf("train: interrupted at step %d; run the same command again to continue from %s", tr.Done(), f.checkpoint)
		}
		return fmt.Errorf("train: %w", err)
	}
	res, err := tr.Residual()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	data, err := res.Marshal()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.WriteFile(f.out, data, 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if f.checkpoint != "" {
		os.Remove(f.checkpoint)
	}
	fmt.Fprintf(log, "wrote %s: residual for %q (%d token, width %d, %s)\n", f.out, res.Word, res.Tokens, res.Width, res.Model)
	return nil
}

// photoFiles expands folders to the photos in them (sorted) and keeps files as given.
func photoFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && slices.Contains([]string{".png", ".jpg", ".jpeg", ".webp"}, ext) {
				found = append(found, filepath.Join(a, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no .png, .jpg or .webp photos", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	if len(out) > subject.MaxImages {
		return nil, fmt.Errorf("%d photos, at most %d", len(out), subject.MaxImages)
	}
	return out, nil
}

// loadPhotos decodes and prepares every photo, naming the file at fault.
func loadPhotos(paths []string, size int) ([][]float32, error) {
	lim := subject.DefaultImageLimits()
	out := make([][]float32, len(paths))
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.Size() > lim.MaxBytes {
			return nil, fmt.Errorf("%s: %d bytes, more than the %d a photo may have", p, st.Size(), lim.MaxBytes)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		img, _, err := subject.DecodeImage(p, data, lim)
		if err != nil {
			return nil, err
		}
		out[i] = subject.PrepareImage(img, size)
	}
	return out, nil
}

func loadCheckpoint(tr *subject.Trainer, path string) error {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if err := tr.LoadState(fh, st.Size()); err != nil {
		return fmt.Errorf("%s: %w (delete it to start over)", path, err)
	}
	return nil
}

func saveCheckpoint(tr *subject.Trainer, path string) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := tr.SaveState(fh); err != nil {
		fh.Close()
		os.Remove(tmp)
		return err
	}
	if err := fh.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// trainLine draws "step 12/3000  loss 0.1234  [===>   ] 2.1 s/step, 1h44m left" on one line.
type trainLine struct {
	w     io.Writer
	start time.Time
	from  int // the step the run started (or resumed) at
	drawn bool
}

func newTrainLine(w io.Writer, from int) *trainLine {
	return &trainLine{w: w, start: time.Now(), from: from}
}

func (l *trainLine) update(p subject.Progress) {
	n := max(p.Step-l.from, 1)
	per := time.Since(l.start) / time.Duration(n)
	left := per * time.Duration(p.Steps-p.Step)
	fill := barWidth * p.Step / max(p.Steps, 1)
	fmt.Fprintf(l.w, "\rstep %d/%d  loss %.4f  [%s%s] %.1f s/step, %s left ", p.Step, p.Steps, p.Loss,
		strings.Repeat("=", fill), strings.Repeat(" ", barWidth-fill), per.Seconds(), left.Round(time.Second))
	l.drawn = true
}

func (l *trainLine) done() {
	if l.drawn {
		fmt.Fprintln(l.w)
	}
}
