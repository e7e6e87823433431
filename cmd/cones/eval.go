package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cones2web/cones2/server/eval"
)

const evalUsage = `usage: cones eval [flags]

Measures a model of the shapes world (the default model) by the pixels it generates: text
adherence of single-shape prompts, layout success of two- and three-subject prompts with boxes
under each layout-guidance mode, attribute confusion between two shapes of one kind, and
customised subjects (alone and two or three together: the bare word, the fine-tuned text
encoder, the Cones 2 residual and a directly learned token embedding, with a measure of where
the fine-tuning changed the encoder). Sampling and training settings are the model folder's
recommended ones (cones.json) unless a flag overrides them. Prints the markdown tables of docs/evaluation.md; every rate comes with its count.

flags:
`

func runEval(args []string) error {
	cfg := eval.DefaultConfig("weights/default")
	fl := flag.NewFlagSet("eval", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), evalUsage); fl.PrintDefaults() }
	fl.StringVar(&cfg.Model, "model", cfg.Model, "model folder (a shapes-world model)")
	md := fl.String("md", "", "also write the tables to this markdown file")
	images := fl.String("images", "", "write a PNG grid of every section's pictures into this folder")
	fl.IntVar(&cfg.Suite.Seeds, "seeds", cfg.Suite.Seeds, "seeds per single-shape prompt")
	fl.IntVar(&cfg.Suite.LayoutPrompts, "layout-prompts", cfg.Suite.LayoutPrompts, "two- and three-subject layout prompts each")
	fl.IntVar(&cfg.Suite.ConfusionPairs, "confusion-prompts", cfg.Suite.ConfusionPairs, "attribute-confusion prompts")
	fl.IntVar(&cfg.Suite.CustomSeeds, "custom-seeds", cfg.Suite.CustomSeeds, "seeds per customised subject alone, per method")
	fl.IntVar(&cfg.Suite.CustomLayouts, "custom-layouts", cfg.Suite.CustomLayouts, "layouts of two and of three customised subjects, per method")
	fl.Uint64Var(&cfg.Suite.SceneSeed, "scene-seed", cfg.Suite.SceneSeed, "seed of the test scenes layouts come from")
	fl.Uint64Var(&cfg.Suite.FirstSampleSeed, "first-seed", cfg.Suite.FirstSampleSeed, "generation seeds count up from here")
	fl.IntVar(&cfg.Settings.Steps, "steps", cfg.Settings.Steps, "sampling steps (0: the model's recommended)")
	fl.IntVar(&cfg.Settings.GuidanceSteps, "guidance-steps", cfg.Settings.GuidanceSteps, "leading steps with layout guidance and self-recurrence (-1: the model's)")
	fl.Float64Var(&cfg.Settings.GuidanceWeight, "guidance-weight", cfg.Settings.GuidanceWeight, "layout guidance weight (-1: the model's)")
	fl.Float64Var(&cfg.Settings.CFGScale, "cfg", cfg.Settings.CFGScale, "classifier-free guidance scale (-1: the model's)")
	fl.StringVar(&cfg.Settings.Sampler, "sampler", cfg.Settings.Sampler, "sampler (empty: the model's)")
	fl.BoolVar(&cfg.SkipCustom, "skip-custom", false, "skip the customisation section (it trains every custom subject twice)")
	only := fl.String("only", "", "comma-separated section prefixes to run (text, layout, attribute, customisation); all when empty")
	fl.IntVar(&cfg.Custom.Subject.Steps, "subject-steps", cfg.Custom.Subject.Steps, "subject trainer steps (0: the model's recommended training)")
	fl.Float64Var(&cfg.Custom.Subject.LearningRate, "subject-lr", cfg.Custom.Subject.LearningRate, "subject trainer learning rate (0: the model's recommended)")
	fl.IntVar(&cfg.Custom.EmbeddingSteps, "embedding-steps", cfg.Custom.EmbeddingSteps, "token-embedding steps (0: the subject trainer's)")
	fl.Float64Var(&cfg.Custom.EmbeddingLR, "embedding-lr", cfg.Custom.EmbeddingLR, "token-embedding learning rate")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("eval: unexpected argument %q (flags only)", fl.Arg(0))
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	cfg.Logf = log.New(os.Stderr, "", log.LstdFlags).Printf
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := eval.Evaluate(ctx, cfg)
	if err != nil {
		return err
	}
	var b strings.Builder
	rep.WriteMarkdown(&b)
	fmt.Print(b.String())
	if *md != "" {
		if err := os.MkdirAll(filepath.Dir(*md), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*md, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if *images != "" {
		return rep.WriteGrids(*images, 2)
	}
	return nil
}
