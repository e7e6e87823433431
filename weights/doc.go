// Package weights is the model stage that sits under every other: it turns a diffusers-format
// Stable Diffusion folder into something both runtimes can run. It parses the configs
// (model_index.json, text_encoder/, unet/, vae/, scheduler/) into typed structs, validates
// safetensors headers before trusting a byte of them (from an io.ReaderAt, so the browser can
// stream weights over HTTP range requests), and holds the one model description: typed trees of
// the CLIP text encoder (prompt tokens -> text embedding), the conditional UNet (the denoising
// loop) and the VAE (latents -> pixels), whose Params yield the diffusers tensor names. Strict
// loading binds every described parameter to exactly one tensor of the files.
//
// The order in which a network runs its layers is written once, in the walks (walk.go:
// WalkUNet with its skip connections, WalkBlock, WalkVAEDecoder, WalkVAEEncoder), which call a
// Visitor with each layer and the grid it runs at. The GoMLX engine and the WebGPU engine are
// visitors that build graphs; the FLOP counts, the cross-attention grids (the layout's query
// lengths) and the UNet's skip channels are visitors that count or note.
//
// It also writes and checks the folder the server serves (fp16 shards plus manifest.json) and
// generates the seeded tiny default model. It is pure Go and builds for js/wasm.
package weights
