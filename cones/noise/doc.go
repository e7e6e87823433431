// Package noise is the seeded source of Gaussian noise for the denoising loop (stage: denoising
// loop with layout guidance): the initial latent and the self-recurrence draws.
//
// Generator is counter-based (Philox4x32-10) with a Box–Muller transform written with integer
// arithmetic, correctly rounded square roots and our own logarithm and sine/cosine polynomials,
// each product rounded explicitly so that no platform may fuse it into an FMA. The same seed
// therefore gives bit-identical float32 numbers natively, in the browser (wasm) and on every
// architecture, which the standard library cannot promise (math.Log and math.Exp have assembly
// versions on amd64 and arm64 that round differently from the pure-Go fallback used by wasm).
//
// Replay feeds recorded draws instead (tests replay the official runs' torch.randn draws).
package noise
