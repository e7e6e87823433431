// Package reference is a plain-Go, float64, loop-by-loop implementation of the engine's layers,
// written from the PyTorch/diffusers definitions and independent of the GoMLX graphs. The
// engine's tests compare ops and whole blocks against it, so that a divergence from the fixtures
// can be bisected down to one layer. Images are channels-last ([batch, h, w, c] flat).
package reference
