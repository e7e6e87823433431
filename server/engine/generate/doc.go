// Package generate runs the whole Cones 2 pipeline on the server's reference engine: prompt ->
// tokens -> text embedding + subject residuals -> denoising loop with layout guidance (the shared
// cones/sample loop driving the GoMLX UNet) -> VAE -> pixels. It is what `cones generate` calls.
//
// Subject words are located in the prompt by the tokenizer, never given by hand: a residual is
// added at the tokens of its word's first occurrence (the official subject_list), and a layout
// subject's weight map goes to every occurrence of its word (the official code matches every
// occurrence of the word's tokens).
package generate
