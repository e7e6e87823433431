package request

import (
	"errors"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/weights"
)

// Model is what a request depends on of the loaded model.
type Model struct {
	// ID is the text encoder residual files must have been made for.
	ID residual.Model
	// Networks describes the text encoder (the width of a residual row), the VAE and the UNet
	// (the image sizes they take, the cross-attention grids the layout is resized to).
	Networks *weights.Model
	// Scheduler is the model folder's scheduler config, which decides epsilon or v-prediction.
	Scheduler schedule.Config
}

// errNoModel is returned for a Model without its networks (the page before the configs are read).
var errNoModel = errors.New("the model's configs are not read yet")

// latentFactor is how many image pixels one latent cell spans (8 for Stable Diffusion).
func (m Model) latentFactor() int { return m.Networks.VAE.DownsampleFactor() }

// SizeStep is the granularity of the model's image sizes: the VAE's downsampling times the
// UNet's, so that every level's grid divides evenly (64 for Stable Diffusion).
func (m Model) SizeStep() int { return m.latentFactor() * m.Networks.UNet.DownsampleFactor() }

// NativeSize is the side the model was trained at: the UNet's sample size in pixels (512 for
// SD 1.5 and 2.1-base, 768 for SD 2.1).
func (m Model) NativeSize() int { return m.Networks.UNet.Config.SampleSize * m.latentFactor() }

// LatentShape is the shape of the latents of a width×height image: [1, channels, h/f, w/f].
func (m Model) LatentShape(width, height int) []int {
	f := m.latentFactor()
	return []int{1, m.Networks.UNet.Config.InChannels, height / f, width / f}
}
