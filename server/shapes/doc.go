// Package shapes is the synthetic world the default model is trained and measured on: pictures
// of one to three flat shapes (circle, square, triangle) in named colours on plain backgrounds,
// each with its caption ("a red circle and a blue square"). It comes before the whole pipeline
// (prompt -> tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE
// -> pixels): its captions train the tokenizer and the text encoder, its pictures the VAE and the
// UNet, and because every picture is known exactly, generated pixels can be scored against what
// a prompt asked for (package eval).
//
// Everything is deterministic: a Set with a seed yields the same scene for the same index on
// every machine (PCG streams, no floating-point transcendental in placement), and Render gives
// the same bytes for the same scene.
package shapes
