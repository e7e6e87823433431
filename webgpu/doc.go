// Package webgpu is a thin Go binding (syscall/js) of the subset of WebGPU the browser engine uses:
// adapter and device (asking for the adapter's own limits and features), buffers, queue writes,
// shader modules, compute pipelines, bind groups, command encoding and submission, and readback.
// Promises become blocking Go calls on the calling goroutine (then/catch callbacks released after
// use, buffered channels, select on a context), so callers must not be on the JS event loop: run
// them in a goroutine, as exported page functions returning promises do.
//
// Stage: none of its own; it is the device layer under the whole browser pipeline (text encoder,
// UNet denoising loop, VAE). The errors and limit checks are plain Go and build everywhere; the
// rest is tagged js && wasm.
package webgpu
