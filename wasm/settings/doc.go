// Package settings is the page's record of one generation: prompt, sampler, steps, guidance,
// seed, size, the subjects bound to prompt words and the layout. It spans the whole pipeline
// (prompt -> ... -> pixels) as data: the page reads it from its form, stores it with every gallery
// image, embeds it in downloaded PNGs and reads it back for "use these settings again".
package settings
