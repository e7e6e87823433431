// Package weights is the model stage that sits under every other: it turns a diffusers-format
// Stable Diffusion folder into something both runtimes can run. It parses the configs
// (model_index.json, text_encoder/, unet/, vae/, scheduler/) into typed structs, validates
// safetensors headers before trusting a byte of them (from an io.ReaderAt, so the browser can
// stream weights over HTTP range requests), and holds the one model description: typed trees of
// the CLIP text encoder (prompt tokens -> text embedding), the conditional UNet (the denoising
// loop) and the VAE (latents -> pixels), whose walk yields the diffusers tensor names. Both the
// GoMLX engine and the WebGPU engine build their graphs from these trees, and strict loading binds
// every described parameter to exactly one tensor of the files.
//
// It also writes and checks the folder the server serves (fp16 shards plus manifest.json) and
// generates the seeded tiny default model. It is pure Go and builds for js/wasm.
package weights
