// Package gpugraph builds the WebGPU engine's networks — the CLIP text encoder, the conditional
// UNet with the Cones 2 layout-guided cross-attention, and the VAE decoder — as flat lists of
// kernel dispatches (wgsl kernels with their Params) over named tensors, from the one model
// description in weights/ (structure and parameter names come from there; nothing here knows
// 320 or 1024). It also plans GPU memory: activation tensors share buffers by lifetime, work
// whose buffers would exceed the device's binding limit is split (feed-forward rows, attention
// query chunks, VAE tiles), and Plan reports peak GPU bytes for a config and image size.
//
// Stage: tokens -> text embedding (+ residuals), the UNet evaluation inside the denoising loop,
// and latents -> pixels. Pure Go: the graphs run natively on the CPU through the kernels'
// plain-Go references (RunCPU), which is how their structure is checked against the fixtures
// without a browser (no syscall/js). The browser engine (webgpu/engine) runs the same graphs on
// the GPU; `cones benchgpu` (cmd/cones) builds them natively for a full-size config to count their
// FLOPs and bytes and print its memory plan, and the page (wasm) asks PlanPipeline for its memory
// estimate before loading a model.
package gpugraph
