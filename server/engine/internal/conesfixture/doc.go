// Package conesfixture reads the Cones 2 parts of the reference fixtures (cases.layout_sampling,
// unet_cones2, the official colour layout and residuals) for the engine's tests.
package conesfixture
