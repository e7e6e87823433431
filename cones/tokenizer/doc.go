// Package tokenizer is the first stage of the pipeline: prompt -> tokens (-> text embedding
// (+ residuals) -> denoising loop with layout guidance -> VAE -> pixels).
//
// It is CLIP's byte-level BPE tokenizer, matching openai/CLIP's simple_tokenizer.py as Stable
// Diffusion uses it, with Unicode NFC normalisation in the place of ftfy (as the project's
// reference fixtures were made). Text is cleaned (NFC, HTML entities unescaped twice, whitespace
// collapsed and stripped, lowercased with Python's rules), split with CLIP's pre-tokenisation
// pattern, mapped to CLIP's byte symbols, marked with "</w>" at word ends and merged by rank.
//
// Beyond ids it answers the questions the page asks while the user types: which token positions
// a word or phrase of the prompt occupies (Positions, Occurrences), and which bytes of the typed
// text each token came from (Spans). Train learns a small vocabulary in CLIP's layout for the
// project's own models, and WriteDir saves it as a diffusers tokenizer folder that Load reads.
//
// The package is pure Go (no cgo, no syscall/js) and builds for GOOS=js GOARCH=wasm.
package tokenizer
