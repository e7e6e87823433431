package sd

import "github.com/cones2web/cones2/weights"

// VAE is the loaded autoencoder (latents <-> pixels).
type VAE struct {
	Desc *weights.VAE
	exec *executor
}
