// Package residual holds personal subjects: the residual text embeddings of Cones 2 (prompt ->
// tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE -> pixels;
// this package is the "+ residuals" of the third stage).
//
// A subject is the mean shift of its word's output embedding after fine-tuning the text encoder
// on a few photos: one float vector per token of the word ([width], or [k, width] for a word of
// k tokens). It only makes sense for the text encoder it was trained on, so a file records that
// encoder's model family and fingerprint, and reading it for another model is a typed error.
//
// The exchange format is a small safetensors file (Marshal, Unmarshal, Read, Load): one float32
// tensor "residual" plus string metadata (format version, word, model, width, training settings,
// creation time); a 1024-wide subject is under 8 KiB. ImportPT reads the torch.save files the
// official repository publishes. Both parsers take untrusted bytes: sizes are bounded before
// anything is allocated, every field is validated, and the pickle inside a .pt file may only
// rebuild a float tensor.
package residual
