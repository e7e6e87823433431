// Package library is the page's record keeping: the subjects (residual files) a person has
// imported and the images they generated. A subject feeds the text-embedding stage of the
// pipeline (its residual is added at its word's tokens); a gallery item is the pipeline's output
// with the settings that made it. The records are plain data with their rules (word names, file
// names, sizes, what an import whose word is taken asks and does); the IndexedDB storage that
// holds them, and the dialog that asks, are in package main.
package library
