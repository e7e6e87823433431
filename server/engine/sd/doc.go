// Package sd is the server's reference engine for Stable Diffusion on GoMLX: the CLIP text
// encoder (tokens -> text embedding), the conditional UNet (one denoising evaluation, with Cones 2
// layout guidance in its cross-attention) and the VAE (latents <-> pixels), built as a visitor of
// the walks of package weights (walk.go here) and loaded strictly from a diffusers folder.
//
// Graphs are compiled once per input shape and reused; tensors cross the API in PyTorch layout
// (NCHW images and latents, flat float32 slices), and are channels-last inside. The default
// backend is the pure-Go simplego; $GOMLX_BACKEND selects another (build with -tags xla to link
// the XLA backend) without any code change. Every graph is differentiable on simplego, so the
// subject trainer can backpropagate through the UNet into the text encoder.
package sd
