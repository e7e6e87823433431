package pretrain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// recipeFile records, in the work folder, what a run trains: resuming with other settings would
// silently mix two recipes into one model, so it is refused.
const recipeFile = "recipe.json"

// recipe is the part of Options that decides the model's bytes (not where files go, how often
// they are saved, or logging).
type recipe struct {
	Sizes     Sizes
	Seed      uint64
	VAE       VAEPhase
	VAEFrom   string `json:",omitempty"`
	Diffusion DiffusionPhase
	Workers   int
}

func (o Options) recipe() recipe {
	return recipe{Sizes: o.Sizes, Seed: o.Seed, VAE: o.VAE, VAEFrom: o.VAEFrom, Diffusion: o.Diffusion, Workers: o.Workers}
}

// claimWork writes the recipe into o.Work, or checks it against the one already there.
func (o Options) claimWork() error {
	want, err := json.MarshalIndent(o.recipe(), "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(o.Work, recipeFile)
	have, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(o.Work, 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, want, 0o644)
	case err != nil:
		return err
	case !bytes.Equal(bytes.TrimSpace(have), want):
		return fmt.Errorf("pretrain: %s holds a run with other settings (see %s); "+
			"pass the same flags to resume it, or remove the folder to start again", o.Work, path)
	}
	return nil
}
