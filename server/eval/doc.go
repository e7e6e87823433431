// Package eval measures what the default model makes, by its pixels, in the spirit of the Cones 2
// paper's Tables 1 and 2, its guidance ablation and its Table A1. It drives the whole pipeline
// (prompt -> tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE
// -> pixels) on the server engine and scores the pixels: every pixel is labelled with the nearest
// colour of the shapes world (package shapes), and a subject counts as present in a region when
// its colour dominates that region; a shape's kind is read from the outline of its colour.
//
// Every number is a count over seeded generations listed up front (no selection after the fact);
// the report prints each rate with its count.
package eval
