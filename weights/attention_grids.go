package weights

import "slices"

// LayerGrid is the query grid of one cross-attention layer for a given latent size.
type LayerGrid struct {
	Name          string // the Transformer2DModel, e.g. "down_blocks.0.attentions.1"
	Height, Width int    // its grid; queries = Height×Width
}

// CrossAttentionGrids lists every cross-attention layer's grid for a latent of h×w, in forward
// order (the order of Transformers()): a walk of the UNet that only notes where its transformers
// run. Both engines and the shared request builder (cones/request) read the layout grids they
// need here.
func (u *UNet) CrossAttentionGrids(h, w int) []LayerGrid {
	var g gridNotes
	WalkUNet(u, struct{}{}, Grid{H: h, W: w}, &g)
	return g.grids
}

// gridNotes is the Visitor of CrossAttentionGrids.
type gridNotes struct {
	Ignore[struct{}]
	grids []LayerGrid
}

func (g *gridNotes) Transformer(x struct{}, t Transformer2D, at Grid) struct{} {
	g.grids = append(g.grids, LayerGrid{Name: t.Name, Height: at.H, Width: at.W})
	return x
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
