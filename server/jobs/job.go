package jobs

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/cones2web/cones2/server/subject"
)

// State is where a job is in its life.
type State string

const (
	Queued      State = "queued"      // waiting for a worker
	Running     State = "running"     // training
	Done        State = "done"        // the residual is ready
	Failed      State = "failed"      // training stopped with an error (see Job.Error)
	Cancelled   State = "cancelled"   // stopped by the person
	Interrupted State = "interrupted" // the server stopped during training and could not resume it
)

// Terminal reports whether the job will not change any more.
func (s State) Terminal() bool { return s == Done || s == Failed || s == Cancelled || s == Interrupted }

// Options are a job's training settings as the API takes them (JSON names as the form fields).
type Options struct {
	Steps        int     `json:"steps"`
	LearningRate float64 `json:"lr"`
	Resolution   int     `json:"resolution"`
	FirstWeight  float64 `json:"first_weight"`
	SecondWeight float64 `json:"second_weight"`
	Seed         uint64  `json:"seed"`
	Sentences    string  `json:"sentences"`
	Instance     string  `json:"instance,omitempty"` // the training prompt's template; "": the word alone
	WordLR       float64 `json:"word_lr,omitempty"`  // the word's token rows' learning rate; 0: lr
	MinTimestep  int     `json:"min_timestep,omitempty"`
}

// subjectOptions turns API options into the trainer's (the rest at their defaults).
func (o Options) subjectOptions() subject.Options {
	s := subject.Defaults()
	s.Steps, s.LearningRate, s.Resolution = o.Steps, o.LearningRate, o.Resolution
	s.FirstWeight, s.SecondWeight, s.Seed, s.Sentences = o.FirstWeight, o.SecondWeight, o.Seed, o.Sentences
	s.Instance, s.WordLR, s.MinTimestep = o.Instance, o.WordLR, o.MinTimestep
	return s
}

// apiOptions are the trainer's options as the API shows them.
func apiOptions(s subject.Options) Options {
	return Options{Steps: s.Steps, LearningRate: s.LearningRate, Resolution: s.Resolution,
		FirstWeight: s.FirstWeight, SecondWeight: s.SecondWeight, Seed: s.Seed, Sentences: s.Sentences,
		Instance: s.Instance, WordLR: s.WordLR, MinTimestep: s.MinTimestep}
}

// Image is one uploaded photo as stored.
type Image struct {
	Name   string `json:"name"` // the file name it was uploaded as (shown only, never a path)
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int64  `json:"bytes"`
}

// imageFile is the n-th photo's file in its job's folder (n from 0): named by the server from
// the position and the checked format only.
func imageFile(n int, format string) string {
	return filepath.Join(imagesDir, fmt.Sprintf("%d.%s", n+1, format))
}

// Progress is the latest training step of a job.
type Progress struct {
	Step           int     `json:"step"` // steps done
	Steps          int     `json:"steps"`
	Loss           float64 `json:"loss"`
	MSE            float64 `json:"mse"`
	StepsPerSecond float64 `json:"steps_per_second"`
	ETASeconds     float64 `json:"eta_seconds"`
}

// Job is one training job as the API shows it and job.json stores it.
type Job struct {
	ID       string     `json:"id"`
	Word     string     `json:"word"`
	Options  Options    `json:"options"`
	Images   []Image    `json:"images"`
	State    State      `json:"state"`
	Position int        `json:"position,omitempty"` // 1 = next to run, while queued
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	Progress Progress   `json:"progress"`
	// Checkpoint is the step of the last saved checkpoint; Resumed the step a restarted
	// server resumed the job from (0: never resumed).
	Checkpoint int    `json:"checkpoint,omitempty"`
	Resumed    int    `json:"resumed,omitempty"`
	Error      string `json:"error,omitempty"`
	// Residual is the residual file's URL once the job is done.
	Residual string `json:"residual,omitempty"`
}
