package main

import (
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cones2web/cones2/server/jobs"
	"github.com/cones2web/cones2/server/web"
)

// trainServeFlags are serve's flags for the subject-training service.
type trainServeFlags struct {
	off                               bool
	model                             string
	workers, maxActive, checkpointEvy int
	checkpointInterval                time.Duration
	maxSteps                          int
	memoryMiB                         int64
	decodeWait                        time.Duration
}

func addTrainServeFlags(fl *flag.FlagSet) *trainServeFlags {
	f := &trainServeFlags{}
	fl.BoolVar(&f.off, "no-train", false, "do not offer subject training (the page then says the server does not train)")
	fl.StringVar(&f.model, "train-model", "", "model folder to train with (default: the served -model; same text encoder)")
	fl.IntVar(&f.workers, "train-workers", 1, "training jobs run at once (each holds its own copy of the text encoder)")
	fl.IntVar(&f.maxActive, "train-queue", 32, "training jobs waiting or running at most; more are refused")
	fl.IntVar(&f.checkpointEvy, "train-checkpoint-every", 0, "steps between checkpoints of a running job (0: by time only)")
	fl.DurationVar(&f.checkpointInterval, "train-checkpoint-interval", 10*time.Minute,
		"training time between checkpoints of a running job (a restarted server resumes from the last; 0: by steps only)")
	fl.IntVar(&f.maxSteps, "train-max-steps", jobs.DefaultLimits().MaxSteps, "most training steps one job may ask for")
	fl.Int64Var(&f.memoryMiB, "memory", jobs.DefaultMemoryBudget>>20,
		"memory budget in MiB for decoding uploaded photos: 3/8 of it may be in decodes at once (uploads and training together), the rest is room for the collector and the server")
	fl.DurationVar(&f.decodeWait, "upload-wait", jobs.DefaultDecodeWait,
		"how long an upload waits for decoding memory before it is refused with 503 and Retry-After")
	return f
}

// mount opens the job service on dataDir/jobs and mounts its API on srv; the returned func
// stops it (running jobs are checkpointed to resume at the next start).
func (f *trainServeFlags) mount(srv *web.Server, dataDir, modelDir string, log *slog.Logger) (func(), error) {
	if f.off {
		return func() {}, nil
	}
	if f.model == "" {
		f.model = modelDir
	}
	lim := jobs.DefaultLimits()
	lim.MaxSteps = f.maxSteps
	if f.memoryMiB <= 0 || f.decodeWait <= 0 {
		return nil, fmt.Errorf("-memory and -upload-wait must be positive")
	}
	lim.DecodeBytes, lim.DecodeWait = jobs.DecodeShare(f.memoryMiB<<20), f.decodeWait
	m, err := jobs.Open(jobs.Config{
		Dir:                filepath.Join(dataDir, "jobs"),
		Runner:             &jobs.PipelineRunner{Dir: f.model, Limits: lim.Image},
		Workers:            f.workers,
		MaxActive:          f.maxActive,
		Limits:             lim,
		CheckpointEvery:    f.checkpointEvy,
		CheckpointInterval: f.checkpointInterval,
		// Defaults left zero: requests start from the training model's own recommendations.
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("training service: %w", err)
	}
	m.Mount(srv.Handle)
	return m.Close, nil
}
