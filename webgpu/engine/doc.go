// Package engine is the browser's Stable Diffusion + Cones 2 engine on WebGPU: it loads a model
// folder from the server straight into GPU buffers, runs the text encoder with the subjects'
// residuals, drives the shared denoising loop of cones/sample with its GPU UNet, and decodes
// latents to pixels.
//
// Stage: tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE ->
// pixels, on the user's GPU.
//
// What the page calls (all blocking: call them from a goroutine, never from a JS callback):
//
//	e, err := engine.Load(ctx, engine.LoadOptions{URL: "/model", OnProgress: ...}) // bytes per component
//	mem, err := e.Plan(512, 512)          // gpugraph.Memory: peak GPU bytes, VAE tiling, FLOPs
//	res, err := e.Generate(ctx, engine.Request{...}) // OnStep per step; cancel ctx to stop
//	e.Close()
//
// Loading reads the configs and safetensors headers with Range requests (manifest.json when the
// folder has one), binds them strictly against the weights/ description, and streams each run of
// consecutive tensors with one Range request: chunks of the fetch body go to the GPU with
// queue.writeBuffer without a copy through Go when stored as they come, and through a 1 MiB
// staging buffer when converted (f32 files to f16 matrices, f16/bf16 to f32 vectors). Matrices
// are stored f16 by default (LoadOptions.F32 keeps f32 for the parity tests); biases and norms
// are always f32; activations and accumulation are f32.
//
// One loop for both engines: Generate runs cones/sample.Run with a Denoiser whose Denoise writes
// the latent (twice: the CFG halves are batch 2) and the step's scalars (timestep, layout-edit
// strength), submits the whole UNet evaluation as one command buffer (about 500 dispatches for
// SD 2.1), combines the halves on the GPU and reads back only that one latent (64 KiB at 512x512).
// Weights, text embedding, layout maps and every activation stay on the GPU; the scheduler step
// (a few thousand floats) runs in Go, exactly as in the server's engine. The layout maps of the
// attention grids come ready-made in the Request (cones/request builds them for both engines)
// and are uploaded once per generation.
//
// Accuracy, measured in headless Chromium on SwiftShader against the official numbers (e2e/):
// with f32 weights the text encoder, UNet, Cones 2 UNet and VAE decode are within 7e-6 max abs
// (the fixtures ask 1e-4) and full layout-guided sampling runs within 1.6e-4 on the final
// latents (1e-3 asked) with 100% of image values within one level; with f16 weights, text encoder
// 1.1e-3, UNet 1.4e-3, VAE 3.6e-3, sampling latents 2.3e-2 max abs (rms 5e-3), images still 100%
// within one level (e2e/f16_test.go holds the tolerances, about twice these).
//
// The option and result types are plain Go; the rest is js && wasm.
package engine
