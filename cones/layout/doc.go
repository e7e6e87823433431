// Package layout is the layout-guidance input of the denoising loop: it turns "this subject goes
// there" into the per-pixel, per-token weight maps that the Cones 2 cross-attention adds to its
// scores (prompt -> tokens -> text embedding (+ residuals) -> denoising loop with layout guidance
// -> VAE -> pixels; this package feeds the fourth stage).
//
// A Layout is a list of subjects, each a word of the prompt with a region (boxes in
// image-relative coordinates or a pixel mask) and a strengthen weight, plus one negative weight.
// Build rasterises it at an image size into Weights, the official CA_WEIGHT_ORIG map
// ([H, W, 77]: a subject's token columns hold its weight inside its region and the negative
// weight everywhere else, other tokens 0). Weights.Grid resizes that map to an attention layer's
// query grid exactly as ali-vilab/Cones-V2 does, laid out [queries, 77] for the kernels.
//
// Layouts come from our own versioned JSON (Parse, Encode) or from the official format, a colour
// PNG plus guidance_config_example.json (ParseOfficialConfig, ImportOfficial).
//
// The official semantics kept here on purpose, so that maps match the reference numbers bit for
// bit:
//   - Each subject's map depends only on its own region: overlapping regions both get their
//     subject's weight, and a pixel in one subject's region is "elsewhere" for every other
//     subject.
//   - Maps of subjects that share a token column are added (the official code accumulates with
//     +=), so two subjects on the same word cancel each other's region with the negative weight.
//   - A strengthen weight of exactly 0 is replaced by the negative weight inside the region too.
//   - Sums are float32, in subject order, like PyTorch.
//
// The resizes reproduce PyTorch 1.13's CPU kernels bit for bit (the build that produced the
// fixtures; see bilinear.go and testdata/torch_grids.json); the official code run on a GPU
// rounds differently in the last bits.
//
// A colour layout keeps its own pixel size: building it for an image of another size is a
// SizeMismatchError, and Layout.ResizeMasks adapts it by nearest neighbour (the official
// inference.py resizes the PNG to 768x768 with PIL first). Box layouts fit any size.
package layout
