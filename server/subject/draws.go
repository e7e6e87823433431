package subject

import (
	"fmt"
	"math/rand/v2"

	"github.com/cones2web/cones2/cones/noise"
)

// Draw is the randomness of one training step, as the official loop draws it: which image,
// which training timestep, the standard-normal sample of the image's latent distribution
// (latent = (mean + std*EpsLatent) * scaling_factor) and the noise added to the latent.
type Draw struct {
	Image     int
	Timestep  int
	EpsLatent []float32
	Noise     []float32
}

// Draws gives the randomness of each step. It must be a function of the step alone, so a run
// resumed from a checkpoint continues exactly as the uninterrupted run would.
type Draws interface {
	// Draw returns step's draws for images photos, timesteps training timesteps and latents
	// of latentSize values.
	Draw(step, images, timesteps, latentSize int) (Draw, error)
}

// Seeded is the default randomness: images in a fresh random order every epoch (a shuffled
// data loader with batch size 1), uniform timesteps, and latent samples and noise from the
// project's platform-independent normal generator, all derived from one seed.
type Seeded uint64

// Draw implements Draws.
func (s Seeded) Draw(step, images, timesteps, latentSize int) (Draw, error) {
	if images < 1 || timesteps < 1 || latentSize < 1 || step < 0 {
		return Draw{}, fmt.Errorf("draw step %d: %d images, %d timesteps, latent of %d", step, images, timesteps, latentSize)
	}
	epoch, at := step/images, step%images
	order := rand.New(rand.NewPCG(uint64(s), 0x5ee0d0+uint64(epoch))).Perm(images)
	t := rand.New(rand.NewPCG(uint64(s), 0x7135+uint64(step)<<20)).IntN(timesteps)
	g := noise.New(uint64(s))
	g.Seek(2 * uint64(step) * uint64(latentSize))
	d := Draw{Image: order[at], Timestep: t, EpsLatent: make([]float32, latentSize), Noise: make([]float32, latentSize)}
	_ = g.Normal(d.EpsLatent)
	_ = g.Normal(d.Noise)
	return d, nil
}
