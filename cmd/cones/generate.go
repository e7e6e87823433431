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
	"strings"
	"syscall"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/userfile"
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

const generateUsage = `usage: cones generate -model DIR (-prompt TEXT | -from MADE.png) -out IMAGE.png [flags]

Generates one image with Cones 2 on the CPU reference engine (GoMLX; GOMLX_BACKEND picks the
backend). Subjects are residual files (ours, or the official .pt files) placed by a layout: our
JSON of boxes, or the official colour PNG with its configuration JSON (-layout config.json
-layout-png layout.png), whose prompt, guidance settings and residual_dict (paths relative to the
configuration file) are used unless a flag overrides them.

-from MADE.png makes an image again from the settings recorded in a PNG the product wrote (cones
generate's output, the page's download): prompt, sampling settings, seed, size and layout. The
residual files are not in the image, only their SHA-256: give them again with -residual. Every
flag given still wins over the recorded value, and an official -layout's prompt and guidance
settings over the recorded ones.

The sampling flags (-sampler, -steps, -guidance-steps, -guidance-weight, -cfg) default to the
model's own recommendation: the "sampling" of the model folder's cones.json, or the official
Cones 2 values (lms, 50 steps all guided, weight 0.08, CFG 7.5) for a folder without one. A flag
given on the command line always wins. When done it prints the file it wrote and its settings.

flags:
`

// generateFlags are the command's flags.
type generateFlags struct {
	model, prompt, layout, layoutPNG, out, latents, sampler, from string
	residuals                                                     multiFlag
	steps, guidanceSteps, width, height                           int
	guidanceWeight, negativeWeight, cfg                           float64
	seed                                                          uint64
	set                                                           map[string]bool // flags given on the command line
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseGenerateFlags(args []string) (*generateFlags, error) {
	f := &generateFlags{set: map[string]bool{}}
	fl := flag.NewFlagSet("generate", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), generateUsage); fl.PrintDefaults() }
	fl.StringVar(&f.model, "model", "", "diffusers model folder (required)")
	fl.StringVar(&f.from, "from", "", "a PNG made by cones generate or the page: start from the settings it records")
	fl.StringVar(&f.prompt, "prompt", "", "the prompt; subject words must occur in it")
	fl.StringVar(&f.layout, "layout", "", "layout: our JSON of boxes, or the official configuration JSON with -layout-png")
	fl.StringVar(&f.layoutPNG, "layout-png", "", "the official colour layout PNG (one flat colour per subject)")
	fl.Var(&f.residuals, "residual", "a subject's residual file, ours or official .pt, as PATH or WORD=PATH (repeatable; the word defaults to the file's name for .pt)")
	// The sampling flags have no default of their own: an unset flag takes the model folder's
	// recommendation (cones.json), which is only known once -model is read.
	fl.IntVar(&f.steps, "steps", 0, "inference steps (default: the model's, 50 officially)")
	fl.IntVar(&f.guidanceSteps, "guidance-steps", 0, "leading steps with layout guidance and self-recurrence (default: the model's, 50 officially)")
	fl.Float64Var(&f.guidanceWeight, "guidance-weight", 0, "layout guidance weight (default: the model's, 0.08 officially)")
	fl.Float64Var(&f.negativeWeight, "negative-weight", layout.DefaultNegative, "layout weight outside a subject's region")
	fl.Float64Var(&f.cfg, "cfg", 0, "classifier-free guidance scale (default: the model's, 7.5 officially)")
	fl.StringVar(&f.sampler, "sampler", "", "sampler: lms (official, order 1), ddim, euler, dpmpp2m, dpmsolver or pndm (default: the model's)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the noise generator")
	fl.IntVar(&f.width, "width", 0, "image width in pixels (0: the model's native size)")
	fl.IntVar(&f.height, "height", 0, "image height in pixels (0: the model's native size)")
	fl.StringVar(&f.out, "out", "", "PNG file to write, with the settings in a tEXt chunk (required)")
	fl.StringVar(&f.latents, "latents", "", "also write the final latents to this safetensors file")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("generate: unexpected argument %q (flags only)", fl.Arg(0))
	}
	fl.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch {
	case f.model == "":
		return nil, errors.New("generate: -model is required")
	case f.out == "":
		return nil, errors.New("generate: -out is required")
	case f.layoutPNG != "" && f.layout == "":
		return nil, errors.New("generate: -layout-png needs the official configuration JSON in -layout")
	}
	return f, nil
}

func runGenerate(args []string) error { return generateCommand(args, os.Stdout) }

// generateCommand runs generate and reports what it wrote on out (progress goes to stderr).
func generateCommand(args []string, out io.Writer) error {
	f, err := parseGenerateFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	req, err := f.request()
	if err != nil {
		return err
	}
	backend, err := sd.NewBackend()
	if err != nil {
		return err
	}
	p, err := sd.Load(f.model, backend)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(f.model, "tokenizer"))
	if err != nil {
		return err
	}
	bar := newProgressBar(os.Stderr, req.Steps)
	req.OnStep = bar.update
	res, err := (&generate.Generator{Pipeline: p, Tokenizer: tok}).Generate(ctx, req.Request)
	bar.done()
	if err != nil {
		return err
	}
	written, err := writeOutputs(f, req, res)
	if err != nil {
		return err
	}
	fmt.Fprint(out, written)
	return nil
}

// request is a generation request with what the outputs record about it.
type request struct {
	generate.Request
	residualFiles map[string][]byte // word -> the file's bytes, for the settings' content ids
}

// request reads the layout and residual files and merges the settings.
func (f *generateFlags) request() (*request, error) {
	rec, err := weights.LoadRecommended(os.DirFS(f.model))
	if err != nil {
		return nil, fmt.Errorf("generate: model folder %s: %w", f.model, err)
	}
	from, err := f.readFrom()
	if err != nil {
		return nil, err
	}
	s := f.settings(rec.Sampling, from)
	r := &request{Request: generate.Request{Settings: s}, residualFiles: map[string][]byte{}}
	official, err := f.readLayout(r)
	if err != nil {
		return nil, err
	}
	if r.Layout == nil && from != nil {
		if r.Layout, err = recordedLayout(from); err != nil {
			return nil, fmt.Errorf("generate: %s: %w", f.from, err)
		}
	}
	if r.Layout != nil && f.set["negative-weight"] {
		r.Layout.Negative = f.negativeWeight
	}
	specs := []string(f.residuals)
	if len(specs) == 0 && official != nil {
		specs = officialResiduals(official, filepath.Dir(f.layout))
	}
	if len(specs) == 0 && from != nil && len(from.Subjects) > 0 {
		return nil, fmt.Errorf("generate: %s was made with %s: give the residual files again with -residual", f.from, recordedSubjects(from))
	}
	for _, spec := range specs {
		if err := r.addResidual(spec); err != nil {
			return nil, err
		}
	}
	if r.Prompt == "" {
		return nil, errors.New("generate: -prompt is required (or an official configuration or a -from image that has one)")
	}
	return r, nil
}

// settings are the model's recommended sampling settings, or with -from (from not nil) the
// settings the image records, with every flag given on the command line put over them.
func (f *generateFlags) settings(rec weights.RecommendedSampling, from *settings.Settings) generate.Settings {
	s := rec.Settings()
	if from != nil {
		s = recordedSettings(from)
	}
	// Unset, the prompt, seed and size flags are zero: the values a run without -from takes.
	for name, set := range map[string]func(){
		"prompt":          func() { s.Prompt = f.prompt },
		"seed":            func() { s.Seed = f.seed },
		"width":           func() { s.Width = f.width },
		"height":          func() { s.Height = f.height },
		"sampler":         func() { s.Sampler = f.sampler },
		"steps":           func() { s.Steps = f.steps },
		"guidance-steps":  func() { s.GuidanceSteps = f.guidanceSteps },
		"guidance-weight": func() { s.GuidanceWeight = f.guidanceWeight },
		"cfg":             func() { s.CFGScale = f.cfg },
	} {
		if f.set[name] {
			set()
		}
	}
	// Fewer steps than the model's guided steps: guide them all, as a shortened run of the
	// model's recipe would, rather than refusing a request the person did not make.
	if f.set["steps"] && !f.set["guidance-steps"] && s.GuidanceSteps > s.Steps {
		s.GuidanceSteps = s.Steps
	}
	return s
}

// readLayout reads -layout (and -layout-png). For an official configuration it also takes the
// prompt and guidance settings the flags do not set, and returns the configuration.
func (f *generateFlags) readLayout(r *request) (*layout.Sampling, error) {
	if f.layout == "" {
		return nil, nil
	}
	data, err := userfile.Read(f.layout, "layout file", layout.MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("generate: layout: %w", err)
	}
	if f.layoutPNG == "" {
		if r.Layout, err = layout.Parse(data); err != nil {
			return nil, fmt.Errorf("generate: %s: %w", f.layout, err)
		}
		return nil, nil
	}
	png, err := userfile.Read(f.layoutPNG, "layout image", layout.MaxPNGBytes)
	if err != nil {
		return nil, fmt.Errorf("generate: layout image: %w", err)
	}
	l, o, err := layout.ImportOfficial(data, png)
	if err != nil {
		return nil, fmt.Errorf("generate: %s: %w", f.layout, err)
	}
	r.Layout = l
	if !f.set["prompt"] {
		r.Prompt = o.Prompt
	}
	if !f.set["guidance-steps"] {
		// More guided steps than steps guide them all (as cones/sample does), and are recorded so.
		r.GuidanceSteps = min(o.GuidanceSteps, r.Steps)
	}
	if !f.set["guidance-weight"] {
		r.GuidanceWeight = o.GuidanceWeight
	}
	return o, nil
}

// officialResiduals lists the residual_dict files of the subject_list words, relative to dir.
func officialResiduals(o *layout.Sampling, dir string) []string {
	var out []string
	for _, st := range o.SubjectList {
		if p, ok := o.Residuals[st.Word]; ok {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			out = append(out, st.Word+"="+p)
		}
	}
	return out
}

// addResidual reads one -residual spec: PATH or WORD=PATH, a .pt file or ours.
func (r *request) addResidual(spec string) error {
	word, path, ok := strings.Cut(spec, "=")
	if !ok {
		word, path = "", spec
	}
	isPT := strings.EqualFold(filepath.Ext(path), ".pt")
	what, limit := "residual file", int64(residual.MaxFileSize)
	if isPT {
		what, limit = ".pt file", residual.MaxPTSize
	}
	data, err := userfile.Read(path, what, limit)
	if err != nil {
		return fmt.Errorf("generate: residual: %w", err)
	}
	var res *residual.Residual
	if isPT {
		res, err = residual.ImportPT(path, data, word)
	} else if res, err = residual.Unmarshal(data); err == nil && word != "" && word != res.Word {
		err = fmt.Errorf("the file is for %q, not %q", res.Word, word)
	}
	if err != nil {
		return fmt.Errorf("generate: residual %s: %w", path, err)
	}
	if _, dup := r.residualFiles[res.Word]; dup {
		return fmt.Errorf("generate: two residuals for %q", res.Word)
	}
	r.residualFiles[res.Word] = data
	r.Residuals = append(r.Residuals, res)
	return nil
}
