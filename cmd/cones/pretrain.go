package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/cones2web/cones2/server/pretrain"
)

const pretrainUsage = `usage: cones pretrain [flags]

Trains the default model from scratch on the synthetic shapes world (package server/shapes):
a BPE tokenizer from the captions, the VAE, then the text encoder and the UNet jointly, all on
the CPU with GoMLX. The run is deterministic for a seed and resumes from -work where an earlier
run stopped (interrupt it with Ctrl-C at any time). The output folder is a float16 diffusers
model with its manifest, refreshed during training, ready for "cones serve -model".

flags:
`

func runPretrain(args []string) error {
	d := pretrain.DefaultOptions("build/pretrain", "weights/default")
	fl := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fl.Usage = func() { fmt.Fprint(fl.Output(), pretrainUsage); fl.PrintDefaults() }
	fl.StringVar(&d.Work, "work", d.Work, "working folder: checkpoints and intermediate models (resumed from)")
	fl.StringVar(&d.Out, "out", d.Out, "output model folder (replaced)")
	fl.Uint64Var(&d.Seed, "seed", d.Seed, "seed of the data set, initialisation and noise")
	fl.IntVar(&d.VAE.Steps, "vae-steps", d.VAE.Steps, "VAE training steps")
	fl.IntVar(&d.VAE.Batch, "vae-batch", d.VAE.Batch, "VAE batch size")
	fl.IntVar(&d.Sizes.VAEGroups, "vae-groups", d.Sizes.VAEGroups, "VAE norm_num_groups")
	fl.Float64Var(&d.VAE.Objective.Shape, "vae-shape-weight", d.VAE.Objective.Shape, "VAE reconstruction weight of shape pixels")
	fl.Float64Var(&d.VAE.Optimiser.LR, "vae-lr", d.VAE.Optimiser.LR, "VAE peak learning rate")
	fl.StringVar(&d.VAEFrom, "vae-from", "", "take the trained VAE of this model folder instead of training one (part of the recipe)")
	fl.IntVar(&d.Diffusion.Steps, "steps", d.Diffusion.Steps, "text encoder + UNet training steps")
	fl.Float64Var(&d.Diffusion.Optimiser.LR, "lr", d.Diffusion.Optimiser.LR, "text encoder + UNet peak learning rate")
	fl.IntVar(&d.Diffusion.Batch, "batch", d.Diffusion.Batch, "text encoder + UNet batch size")
	fl.IntVar(&d.CheckpointEvery, "checkpoint-every", d.CheckpointEvery, "steps between checkpoints")
	fl.IntVar(&d.Workers, "workers", d.Workers, "batch shares computed concurrently (part of the recipe: changing it changes the model)")
	fl.IntVar(&d.ExportEvery, "export-every", d.ExportEvery, "diffusion steps between refreshes of -out")
	fl.IntVar(&d.StopAfter, "stop-after", 0, "stop (resumably) once this many diffusion steps are done; 0 runs to the end")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("pretrain: unexpected argument %q (flags only)", fl.Arg(0))
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	d.Logf = logger.Printf
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := pretrain.Run(ctx, d)
	if errors.Is(err, context.Canceled) {
		return errors.New("pretrain: interrupted; run again with the same flags to resume")
	}
	return err
}
