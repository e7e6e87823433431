package pretrain

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
)

// Options configure a pretraining run. DefaultOptions are the default model's.
type Options struct {
	Sizes Sizes
	Seed  uint64 // data set, initialisation and noise draws
	// Work holds what a run needs to resume: the initial and intermediate model folders,
	// checkpoints of every phase, and nothing that is shipped.
	Work string
	// Out receives the finished model (float16 diffusers folder with manifest); it is also
	// refreshed every ExportEvery diffusion steps, so an interrupted run leaves a usable model.
	Out         string
	ExportEvery int

	VAE VAEPhase
	// VAEFrom, when set, names a model folder whose trained VAE (and latent scaling factor)
	// replaces the VAE phase: the VAE depends only on the pictures, so a change to captions or
	// to the diffusion phase need not retrain it. Its VAE config must equal the recipe's.
	VAEFrom   string
	Diffusion DiffusionPhase
	// CheckpointEvery is the number of steps between checkpoints, in both phases.
	CheckpointEvery int
	// Workers is how many shares each batch is split into, computed concurrently (one core
	// each). It is part of the recipe, not of the machine: the same value gives the same model
	// on any number of cores.
	Workers int
	// Recommended are the settings written beside the weights (cones.json): what suits the
	// model for sampling and subject training. They do not change the weights, so they are not
	// part of the recipe.
	Recommended weights.Recommended
	// StopAfter, when positive, ends the run (checkpointed) once that many diffusion steps are
	// done; running again with the same recipe resumes. It is not part of the recipe.
	StopAfter int
	Logf      func(format string, args ...any)
}

// VAEPhase configures the VAE's training.
type VAEPhase struct {
	Steps, Batch int
	Optimiser    Optimiser
	Objective    VAEObjective
}

// DiffusionPhase configures the joint training of the text encoder and the UNet.
type DiffusionPhase struct {
	Steps, Batch int
	Optimiser    Optimiser
	// CaptionDropout is the share of captions replaced by the empty prompt, which teaches the
	// unconditional prediction classifier-free guidance needs.
	CaptionDropout float64
	// MinSNRGamma weights each sample's loss by min(SNR, γ)/SNR (Min-SNR weighting), which
	// speeds up convergence by not letting the easy low-noise timesteps dominate; 0 disables it.
	MinSNRGamma float64
	// IsolateSubjects is the share of captioned samples in which the UNet sees, of the text
	// encoder's output, only <|startoftext|> and each shape's word ("triangle"), every other
	// position replaced by the empty prompt's. The causal text encoder has already written the
	// colour into the shape's word ("orange triangle"), so the UNet learns to read a subject
	// from its word's embedding: what a Cones 2 residual changes. Without it the UNet reads the
	// colour from the colour word and a residual at the subject word changes nothing.
	IsolateSubjects float64
	// EMADecay is the decay of the moving average of the text encoder's and UNet's weights,
	// which is what is exported (diffusion models sample better from averaged weights).
	EMADecay float64
}

// DefaultOptions are the settings of the default model (see docs/evaluation.md for the
// measured time on a 2-core machine).
func DefaultOptions(work, out string) Options {
	return Options{
		Sizes: DefaultSizes(), Seed: 1, Work: work, Out: out, ExportEvery: 500, CheckpointEvery: 100, Workers: 2,
		VAE: VAEPhase{Steps: 1500, Batch: 8,
			Optimiser: Optimiser{LR: 2e-3, Warmup: 50, ClipNorm: 1},
			Objective: VAEObjective{KL: 5e-4, Edge: 0.5, Shape: 5}},
		Diffusion: DiffusionPhase{Steps: 5000, Batch: 16,
			Optimiser:      Optimiser{LR: 6e-4, Warmup: 200, WeightDecay: 0.01, ClipNorm: 1},
			CaptionDropout: 0.1, IsolateSubjects: 0.5, MinSNRGamma: 5, EMADecay: 0.999},
		Recommended: DefaultRecommended(),
	}
}

func (o Options) validate() error {
	switch {
	case o.Work == "" || o.Out == "":
		return fmt.Errorf("pretrain: work and output folders must be set")
	case o.VAE.Steps < 1 || o.VAE.Batch < 1 || o.Diffusion.Steps < 1 || o.Diffusion.Batch < 1:
		return fmt.Errorf("pretrain: steps and batch sizes must be positive")
	case o.Workers < 1 || o.VAE.Batch%o.Workers != 0 || o.Diffusion.Batch%o.Workers != 0:
		return fmt.Errorf("pretrain: %d workers do not split batches of %d and %d", o.Workers, o.VAE.Batch, o.Diffusion.Batch)
	case o.CheckpointEvery < 1:
		return fmt.Errorf("pretrain: checkpoint interval must be positive")
	case o.Diffusion.CaptionDropout < 0 || o.Diffusion.CaptionDropout >= 1:
		return fmt.Errorf("pretrain: caption dropout %g outside [0, 1)", o.Diffusion.CaptionDropout)
	case o.Diffusion.IsolateSubjects < 0 || o.Diffusion.IsolateSubjects > 1:
		return fmt.Errorf("pretrain: subject isolation %g outside [0, 1]", o.Diffusion.IsolateSubjects)
	case o.VAE.Optimiser.LR <= 0 || o.Diffusion.Optimiser.LR <= 0:
		return fmt.Errorf("pretrain: learning rates must be positive")
	}
	return nil
}
