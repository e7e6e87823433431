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
	"github.com/cones2web/cones2/internal/userfile"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

const trainUsage = `usage: cones train -model DIR -word WORD -out FILE.safetensors [flags] PHOTO|FOLDER...

Trains a Cones 2 subject: fine-tunes the model's text encoder on 3-10 photos of the subject
(PNG, JPEG or WebP; a folder stands for the photos in it) and writes the residual file the
page's subject library and 'cones generate -residual' take. -steps, -lr, -first-weight,
-second-weight, -sentences, -instance, -word-lr and -min-timestep default to the model's own recommendation, the "training" of the
model folder's cones.json (its sentences, when it lists some, are the "model" set), or the
official values for a folder without one (3000 steps at learning rate 5e-6, preservation weights
1e-2 and 1e-3, the official sentences); a flag given on the command line always wins. Images are
trained at the model's native resolution unless -resolution says otherwise. It runs on GoMLX: the pure-Go CPU backend by default, XLA on a GPU with a binary
built with -tags xla and GOMLX_BACKEND=xla:cuda.

With -checkpoint, the run saves its state there every -checkpoint-every steps and when
interrupted (Ctrl-C); the same command run again continues from it.

flags:
`

type trainFlags struct {
	model, word, out, sentences, instance string
	checkpoint                            string
	steps, resolution, checkpointEvery    int
	minTimestep                           int
	lr, wordLR, first, second             float64
	seed                                  uint64
	photos                                []string
	set                                   map[string]bool // flags given on the command line
}

func parseTrainFlags(args []string) (*trainFlags, error) {
	f := &trainFlags{set: map[string]bool{}}
	fl := flag.NewFlagSet("train", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), trainUsage); fl.PrintDefaults() }
	fl.StringVar(&f.model, "model", "", "diffusers model folder (required)")
	fl.StringVar(&f.word, "word", "", "the subject's class word, as you will write it in prompts, e.g. dog (required)")
	fl.StringVar(&f.out, "out", "", "residual file to write (required)")
	// These have no default of their own: an unset flag takes the model folder's
	// recommendation (cones.json), which is only known once -model is read.
	fl.IntVar(&f.steps, "steps", 0, "training steps (default: the model's, 3000 officially)")
	fl.Float64Var(&f.lr, "lr", 0, "AdamW learning rate (default: the model's, 5e-6 officially)")
	fl.Float64Var(&f.wordLR, "word-lr", 0, "learning rate of the word's own token-embedding rows (default: the model's; -lr officially)")
	fl.IntVar(&f.minTimestep, "min-timestep", 0, "lowest training timestep drawn (default: the model's; 0 officially)")
	fl.IntVar(&f.resolution, "resolution", 0, "training image size in pixels (0: the model's native size)")
	fl.Float64Var(&f.first, "first-weight", 0, "preservation weight of the <|startoftext|> embedding (default: the model's, 1e-2 officially)")
	fl.Float64Var(&f.second, "second-weight", 0, "preservation weight of the embeddings after the word (default: the model's, 1e-3 officially)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of every random draw")
	fl.StringVar(&f.sentences, "sentences", "", "sentences the residual is averaged over: "+strings.Join(subject.SentenceSets(), ", ")+
		" (the model folder's own; default: model when it has some, else official)")
	fl.StringVar(&f.instance, "instance", "", `training prompt, "{}" where the word goes, e.g. "a {}" (default: the model's; the word alone officially)`)
	fl.StringVar(&f.checkpoint, "checkpoint", "", "file to save the training state to, and resume from when it exists")
	fl.IntVar(&f.checkpointEvery, "checkpoint-every", 250, "steps between checkpoints (with -checkpoint)")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	fl.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
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

// options are the model's recommended options (subject.ModelDefaults) with every flag given on
// the command line put over them. A sentence set the model cannot supply is refused here,
// before any training, rather than when the residual is extracted at the end.
func (f *trainFlags) options(rec weights.Recommended) (subject.Options, error) {
	o := subject.ModelDefaults(rec)
	for name, set := range map[string]func(){
		"steps":         func() { o.Steps = f.steps },
		"lr":            func() { o.LearningRate = f.lr },
		"first-weight":  func() { o.FirstWeight = f.first },
		"second-weight": func() { o.SecondWeight = f.second },
		"sentences":     func() { o.Sentences = f.sentences },
		"instance":      func() { o.Instance = f.instance },
		"word-lr":       func() { o.WordLR = f.wordLR },
		"min-timestep":  func() { o.MinTimestep = f.minTimestep },
	} {
		if f.set[name] {
			set()
		}
	}
	o.Resolution, o.Seed = f.resolution, f.seed
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("train: %w", err)
	}
	if _, err := subject.ModelSentenceSet(o.Sentences, rec); err != nil {
		return o, fmt.Errorf("train: %w", err)
	}
	return o, nil
}

func runTrain(args []string) error {
	f, err := parseTrainFlags(args)
	if err != nil {
		return err
	}
	rec, err := weights.LoadRecommended(os.DirFS(f.model))
	if err != nil {
		return fmt.Errorf("train: model folder %s: %w", f.model, err)
	}
	opts, err := f.options(rec)
	if err != nil {
		return err
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
	images, err := loadPhotos(paths, subject.Resolution(p, opts))
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	tr, err := subject.New(p, tok, f.word, images, opts)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer tr.Close()
	fmt.Fprintf(os.Stderr, "training %q on %d photos: %s\n", f.word, len(paths), opts.Summary())
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
	if err := userfile.WriteFile(f.out, data, 0o644); err != nil {
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
		data, err := userfile.Read(p, "photo", lim.MaxBytes)
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
	// No size cap: a checkpoint holds the text encoder and its optimiser state; LoadState checks
	// every tensor against the trainer's. Only regular files are read.
	fh, size, err := userfile.Open(path, "checkpoint", 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := tr.LoadState(fh, size); err != nil {
		return fmt.Errorf("%s: %w (delete it to start over)", path, err)
	}
	return nil
}

func saveCheckpoint(tr *subject.Trainer, path string) error {
	return userfile.WriteWith(path, 0o644, tr.SaveState)
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
