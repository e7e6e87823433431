// Package compute runs the kernels of wgsl/ on a webgpu.Device: a pipeline cache keyed by the
// kernels' comparable variant keys, prepared calls (params uniform + bind group + grid) and their
// recording into command buffers, many dispatches per submit.
//
// Stage: the execution layer of the browser engine, under the text encoder, the UNet of the
// denoising loop and the VAE decoder. Tested inside headless Chromium (e2e/) against the plain-Go
// references of wgsl/, for shapes that are not multiples of the tiles.
package compute
