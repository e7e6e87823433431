package weights

import "slices"

// LayerGrid is the query grid of one cross-attention layer for a given latent size.
type LayerGrid struct {
	Name          string // the Transformer2DModel, e.g. "down_blocks.0.attentions.1"
	Height, Width int    // its grid; queries = Height×Width
}

// CrossAttentionGrids lists every cross-attention layer's grid for a latent of h×w, in forward
// order (the order of Transformers()). It is plain arithmetic on the description, so both
// engines and the shared request builder (cones/request) read the layout grids they need here.
func (u *UNet) CrossAttentionGrids(h, w int) []LayerGrid {
	var out []LayerGrid
	add := func(blk Block) {
		for _, a := range blk.Attentions {
			out = append(out, LayerGrid{Name: a.Name, Height: h, Width: w})
		}
	}
	for _, blk := range u.Down {
		add(blk)
		if blk.Downsample != nil {
			h, w = blk.Downsample.OutSize(h), blk.Downsample.OutSize(w)
		}
	}
	add(u.Mid)
	for _, blk := range u.Up {
		add(blk)
		if blk.Upsample != nil {
			h, w = 2*h, 2*w
		}
	}
	return out
}

// QueryLengths lists the distinct query lengths of the UNet's cross-attention layers for a latent
// of h×w, largest first: the layout weight maps a guided evaluation needs, one per length.
func (u *UNet) QueryLengths(h, w int) []int {
	var out []int
	for _, g := range u.CrossAttentionGrids(h, w) {
		if n := g.Height * g.Width; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
