package weights

import "slices"

// LayerGrid is the query grid of one cross-attention layer for a given latent size.
type LayerGrid struct {
	Name          string // the Transformer2DModel, e.g. "down_blocks.0.attentions.1"
	Height, Width int    // its grid; queries = Height×Width
}

// Transformers lists every Transformer2D in the order the forward pass runs them (a walk of
// the UNet that notes them; the values are copies of the description's). Each holds one
// cross-attention layer (Blocks[0].Attn2) where Cones 2 applies its layout guidance.
func (u *UNet) Transformers() []*Transformer2D {
	var n transformerNotes
	WalkUNet(u, struct{}{}, Grid{}, &n)
	return n.transformers
}

// CrossAttentionGrids lists every cross-attention layer's grid for a latent of h×w, in forward
// order (the order of Transformers()). Both engines and the shared request builder
// (cones/request) read the layout grids they need here.
func (u *UNet) CrossAttentionGrids(h, w int) []LayerGrid {
	var n transformerNotes
	WalkUNet(u, struct{}{}, Grid{H: h, W: w}, &n)
	return n.grids
}

// transformerNotes is a Visitor that notes every transformer and the grid it runs at.
type transformerNotes struct {
	Ignore[struct{}]
	transformers []*Transformer2D
	grids        []LayerGrid
}

func (n *transformerNotes) Transformer(x struct{}, t Transformer2D, at Grid) struct{} {
	n.transformers = append(n.transformers, &t)
	n.grids = append(n.grids, LayerGrid{Name: t.Name, Height: at.H, Width: at.W})
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
