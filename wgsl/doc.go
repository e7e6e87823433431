// Package wgsl holds the WebGPU compute kernels of the browser engine and, for each kernel family,
// the Go description the engine dispatches it by: a comparable key (the structural variant: weight
// dtype, fused bias, activation, ...) that names one pipeline, a Params struct mirroring the WGSL
// uniform struct (shapes, strides, offsets: everything that varies at run time), the dispatch grid,
// the FLOP count, and a plain-Go reference (Ref) that defines what the kernel computes.
//
// Stage: all of them. The same kernels run the text encoder (tokens -> embedding), the UNet of the
// denoising loop with the Cones 2 layout-guided cross-attention, and the VAE decoder (latents ->
// pixels). The package is pure Go: sources are embedded with go:embed and expanded by a minimal
// preprocessor (#include, #if/#else/#endif, {{CONST}}), so native tests check the sources, the
// Params layouts against the WGSL structs, and the references; webgpu/ runs the kernels.
package wgsl
