// Package engine is the browser's Stable Diffusion + Cones 2 engine on WebGPU: it loads a model
// folder from the server straight into GPU buffers (streamed, with byte progress), runs the text
// encoder with the subjects' residuals, drives the shared denoising loop of cones/sample with its
// GPU UNet (weights and activations stay on the GPU; each step uploads the latent and reads back
// only the CFG-combined output, so both engines share one loop), and decodes latents to pixels.
//
// Stage: tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE ->
// pixels, on the user's GPU. The page calls Load, Engine.Plan and Engine.Generate; the e2e tests
// also call the component runs (TextEncoder, UNet, Decode). The option and result types and the
// error kinds are plain Go; the rest is js && wasm.
package engine
