// Package preview turns the latents of a running generation into a small picture for the page:
// a look inside the denoising loop (the stage before the VAE) at every step, without running the
// VAE. Four-channel Stable Diffusion latents map to colour through a fixed linear approximation
// of the VAE decoder; other latent shapes show their first three channels, each stretched to its
// own range. Either way it is a preview, never the image.
package preview
