// Package generate runs the whole Cones 2 pipeline on the server's reference engine: prompt ->
// tokens -> text embedding + subject residuals -> denoising loop with layout guidance (the shared
// cones/sample loop driving the GoMLX UNet) -> VAE -> pixels. It is what `cones generate` calls.
//
// The front half (settings resolved against the model, token ids, residual rows, layout grids,
// sampler) is cones/request's, the same the page builds for the WebGPU engine: subject words
// are located in the prompt by the tokenizer, never given by hand, a residual's i-th row goes
// to the i-th token of every occurrence of its word, and a layout subject's map to every
// occurrence of its word. Settings are cones/settings' (Settings is that type).
package generate
