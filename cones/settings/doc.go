// Package settings is the record of one generation: prompt, sampler, steps, guidance, seed, size,
// the subjects bound to prompt words and the layout. It spans the whole pipeline (prompt -> ... ->
// pixels) as data: the page reads it from its form, stores it with every gallery image and reads it
// back for "use these settings again"; the page and `cones generate` both embed it in the PNGs they
// write, so an image made on either side can be reproduced on the other. It is the one settings
// type of a generation, with the one set of official defaults (Defaults) and limits (Validate):
// the server engine (server/engine/generate), the model's recommended settings
// (weights.Recommended) and the page all use it.
package settings
