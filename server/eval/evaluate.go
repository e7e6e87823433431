package eval

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/generate"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Config is one evaluation.
type Config struct {
	Model      string // diffusers model folder
	Suite      Suite
	Settings   Settings
	Custom     CustomOptions
	SkipCustom bool
	// Only, when not empty, keeps the items whose section starts with one of these prefixes
	// (for a quick look or a sweep: "layout", "text", ...).
	Only []string
	Logf func(format string, args ...any)
}

// DefaultConfig is the evaluation of docs/evaluation.md.
func DefaultConfig(model string) Config {
	return Config{Model: model, Suite: DefaultSuite(), Settings: DefaultSettings(), Custom: DefaultCustomOptions()}
}

// Report holds every scored generation of an evaluation.
type Report struct {
	Config    Config
	Generated []Generated
	Methods   []string // customisation methods evaluated
	// Diagnoses describe each subject's fine-tuning (see Diagnose).
	Diagnoses []Diagnosis
	Elapsed   time.Duration
	// VAEPixels and VAEShapePixels are the shares of all pixels and of shape pixels whose
	// world colour survives the VAE's round trip (RoundTrip on VAEScenes test scenes).
	VAEPixels, VAEShapePixels float64
}

// VAEScenes is how many test scenes the VAE round trip is measured on.
const VAEScenes = 64

// Evaluate runs the whole evaluation: the suite's items, then (unless skipped) each
// customisation method's subjects alone and together.
func Evaluate(ctx context.Context, cfg Config) (*Report, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	start := time.Now()
	backend, err := sd.NewBackend()
	if err != nil {
		return nil, err
	}
	p, err := sd.Load(cfg.Model, backend)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(cfg.Model, weights.TokenizerDir))
	if err != nil {
		return nil, err
	}
	gen := &generate.Generator{Pipeline: p, Tokenizer: tok}
	cfg.Settings = orModel(cfg.Settings, p.Folder.Recommended)
	cfg.Custom = cfg.Custom.resolve(p)
	rep := &Report{Config: cfg}
	if rep.VAEPixels, rep.VAEShapePixels, err = RoundTrip(p, VAEScenes, cfg.Suite.SceneSeed+3); err != nil {
		return nil, err
	}
	progress := func(total int) func(int, Generated) {
		return func(i int, g Generated) {
			if (i+1)%10 == 0 || i+1 == total {
				logf("%s: %d/%d (%s)", g.Outcome.Item.Section, i+1, total, time.Since(start).Round(time.Second))
			}
		}
	}
	items := filterSections(cfg.Suite.Items(), cfg.Only)
	gs, err := Run(ctx, gen, cfg.Settings, items, nil, progress(len(items)))
	rep.Generated = append(rep.Generated, gs...)
	if err != nil {
		return rep, err
	}
	if !cfg.SkipCustom && len(filterSections([]Item{{Section: SectionCustom1}}, cfg.Only)) > 0 {
		if err := rep.customise(ctx, gen, tok, logf, progress); err != nil {
			return rep, err
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// customise runs the customisation section: it learns every subject (the subject trainer,
// whose fine-tuned encoder and residual are two methods, and a token embedding), measures
// where the fine-tuning's change sits, then generates every method's items.
func (rep *Report) customise(ctx context.Context, gen *generate.Generator, tok *tokenizer.Tokenizer, logf func(string, ...any), progress func(int) func(int, Generated)) error {
	cfg := rep.Config
	learned := map[CustomSubject]*Learned{}
	embs := map[CustomSubject]*TokenEmbedding{}
	defer func() {
		for _, l := range learned {
			l.Trainer.Close()
		}
	}()
	for _, c := range CustomSubjects() {
		l, err := LearnSubject(ctx, gen.Pipeline, tok, c, cfg.Custom, logf)
		if err != nil {
			return err
		}
		learned[c] = l
		d, err := Diagnose(gen.Pipeline, tok, l, gen.Pipeline.Folder.Recommended)
		if err != nil {
			return err
		}
		rep.Diagnoses = append(rep.Diagnoses, d)
		if embs[c], err = LearnEmbedding(ctx, cfg.Model, tok, c, cfg.Custom, logf); err != nil {
			return err
		}
	}
	for _, method := range CustomMethods() {
		items := cfg.Suite.CustomItems(method)
		configure := func(it Item, req *generate.Request) (func() error, error) {
			subs := itemSubjects(it)
			switch method {
			case MethodTuned:
				req.TextEncoder = learned[subs[0]].Trainer
			case MethodResidual:
				for _, c := range subs {
					req.Residuals = append(req.Residuals, learned[c].Residual)
				}
			case MethodEmbedding:
				var rows []*TokenEmbedding
				for _, c := range subs {
					rows = append(rows, embs[c])
				}
				return setRows(gen.Pipeline, rows)
			}
			return func() error { return nil }, nil
		}
		gs, err := Run(ctx, gen, cfg.Settings, items, configure, progress(len(items)))
		rep.Generated = append(rep.Generated, gs...)
		if err != nil {
			return err
		}
		rep.Methods = append(rep.Methods, method)
	}
	return nil
}

// itemSubjects returns the custom subjects an item shows, in order.
func itemSubjects(it Item) []CustomSubject {
	var out []CustomSubject
	for _, s := range it.Subjects {
		out = append(out, CustomSubject{Word: s.Phrase, Colour: s.Colour, Kind: s.Kind})
	}
	return out
}

// setRows puts the learned token embeddings into the pipeline's token table and returns the
// function that puts the original rows back.
func setRows(p *sd.Pipeline, embs []*TokenEmbedding) (func() error, error) {
	name := p.Model.TextEncoder.TokenEmbedding.Name + ".weight"
	v := p.Context.GetVariableByScopeAndName(sd.TextEncoderScope+"/"+dotsToSlashes(name[:len(name)-len(".weight")]), "weight")
	if v == nil {
		return nil, fmt.Errorf("eval: no token table variable")
	}
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	orig := tensors.MustCopyFlatData[float32](t)
	table := slices.Clone(orig)
	w := p.Model.TextEncoder.Width()
	for _, e := range embs {
		copy(table[e.ID*w:(e.ID+1)*w], e.Row)
	}
	dims := v.Shape().Dimensions
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(table, dims...)); err != nil {
		return nil, err
	}
	return func() error { return v.SetValue(tensors.FromFlatDataAndDimensions(orig, dims...)) }, nil
}

// WriteMarkdown writes every table with the settings and counts behind it.
func (rep *Report) WriteMarkdown(w io.Writer) {
	s, su := rep.Config.Settings, rep.Config.Suite
	fmt.Fprintf(w, "Model `%s`; %d generations in %s; sampler %s, %d steps (%d with layout guidance and self-recurrence), guidance weight %g, CFG %g. Seeds count up from %d; layouts come from test scenes of seed %d.\n\n",
		rep.Config.Model, len(rep.Generated), rep.Elapsed.Round(time.Second), s.Sampler, s.Steps, s.GuidanceSteps, s.GuidanceWeight, s.CFGScale, su.FirstSampleSeed, su.SceneSeed)
	fmt.Fprintf(w, "**VAE round trip** (%d test scenes, mean latent): %.1f%% of pixels keep their world colour, %.1f%% of shape pixels.\n\n",
		VAEScenes, 100*rep.VAEPixels, 100*rep.VAEShapePixels)
	fmt.Fprintf(w, "**Text adherence** (%d single-shape prompts × %d seeds):\n\n", len(shapes.Colours())*len(shapes.Kinds()), su.Seeds)
	WriteText(w, rep.Generated)
	fmt.Fprintf(w, "\n**Layout success** (%d two-subject and %d three-subject prompts with boxes, one seed each, the same seed in every mode):\n\n", su.LayoutPrompts, su.LayoutPrompts)
	WriteLayout(w, rep.Generated)
	fmt.Fprintf(w, "\n**Attribute confusion** (%d prompts of two shapes of one kind in two colours, with boxes):\n\n", su.ConfusionPairs)
	WriteConfusion(w, rep.Generated)
	if len(rep.Methods) > 0 {
		c := rep.Config.Custom
		fmt.Fprintf(w, "\n**Customisation** (%d subjects, each learned from %d pictures with the model's recommended training: %s; token embedding %d steps at %g; alone: %d seeds per subject and method, no layout; together: %d layouts of two and of three subjects with full guidance):\n\n",
			len(CustomSubjects()), c.Images, c.Subject.Summary(),
			c.EmbeddingSteps, c.EmbeddingLR, su.CustomSeeds, su.CustomLayouts)
		WriteCustom(w, rep.Generated, rep.Methods)
		fmt.Fprintf(w, "\n**Where the fine-tuning changed the text encoder** (tuned minus frozen output over the residual's sentences):\n\n")
		WriteDiagnoses(w, rep.Diagnoses)
	}
}

// filterSections keeps the items whose section starts with one of the prefixes (all when there
// are none).
func filterSections(items []Item, prefixes []string) []Item {
	if len(prefixes) == 0 {
		return items
	}
	var out []Item
	for _, it := range items {
		for _, p := range prefixes {
			if strings.HasPrefix(it.Section, p) {
				out = append(out, it)
				break
			}
		}
	}
	return out
}
