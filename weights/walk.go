package weights

// Grid is the spatial size a layer runs at, in latent (or image) pixels.
type Grid struct{ H, W int }

// Pixels is H×W: the query length of an attention layer that runs on this grid.
func (g Grid) Pixels() int { return g.H * g.W }

// Visitor builds, counts or inspects a network one layer at a time. T is what flows from layer
// to layer: a graph node, a GPU tensor, a channel count, or nothing at all for a count. The
// walks (WalkUNet, WalkBlock, WalkVAEDecoder, WalkVAEEncoder) call it in the order the forward
// pass runs, each layer with the grid it runs at, and own the UNet's skip connections, so that
// order is written once for every engine and every count.
//
// What a layer needs besides its input (the time embedding of the UNet's resnets, the text
// embedding and layout guidance of its transformers) is the visitor's own.
type Visitor[T any] interface {
	// Conv applies c (stride 1, or 2 in downsamplers); out is its output grid.
	Conv(x T, c Conv2D, out Grid) T
	// Upsample is nearest-neighbour ×2, then c; out is the doubled grid.
	Upsample(x T, c Conv2D, out Grid) T
	// Resnet applies r. In UNet up blocks x is the result of Concat.
	Resnet(x T, r ResnetBlock, at Grid) T
	// Concat stacks skip onto h along channels (h first): the input of up resnet r.
	Concat(h, skip T, r ResnetBlock, at Grid) T
	// Transformer applies a UNet Transformer2D (self-attention, cross-attention, feed-forward).
	Transformer(x T, t Transformer2D, at Grid) T
	// VAEAttention applies the VAE mid block's spatial self-attention.
	VAEAttention(x T, a VAEAttention, at Grid) T
	// NormAct is silu(n(x)), before every network's output convolution.
	NormAct(x T, n GroupNorm, at Grid) T
}

// WalkUNet runs u's layers from conv_in to conv_out on sample, a latent of grid at:
//
//	h = conv_in(sample); skips = [h]
//	down blocks: each resnet (+ its transformer), then the downsampler; each output joins skips
//	mid block: resnet, then (transformer, resnet) pairs
//	up blocks: each resnet on concat(h, skips.pop()) (+ its transformer), then the upsampler
//	out = conv_out(silu(conv_norm_out(h)))
func WalkUNet[T any](u *UNet, sample T, at Grid, v Visitor[T]) T {
	w := &walker[T]{v: v, at: at}
	h := w.down(u, sample)
	h = w.mid(u.Mid, h)
	for _, blk := range u.Up {
		h = w.block(blk, h)
	}
	return walkOut(v, h, u.NormOut, u.ConvOut, w.at)
}

// WalkBlock runs one block without skip connections (a down block, or a VAE decoder's up block)
// on x of grid at, and returns its output and grid. UNet up blocks take the skip stack of the
// down path: WalkUNet runs them.
func WalkBlock[T any](blk Block, x T, at Grid, v Visitor[T]) (T, Grid) {
	w := &walker[T]{v: v, at: at}
	h := w.block(blk, x)
	return h, w.at
}

// walker carries a walk's grid and, along the UNet's down path, its skip stack.
type walker[T any] struct {
	v  Visitor[T]
	at Grid
	// keep makes block push every resnet's output (after its transformer) and the
	// downsampler's onto skips; resnets with a Skip pop them from the end.
	keep  bool
	skips []T
}

// down runs conv_in and the down blocks, filling the skip stack.
func (w *walker[T]) down(u *UNet, sample T) T {
	w.keep = true
	h := w.v.Conv(sample, u.ConvIn, w.at)
	w.push(h)
	for _, blk := range u.Down {
		h = w.block(blk, h)
	}
	w.keep = false
	return h
}

// block runs blk's resnets, each followed by its transformer when the block has them, then its
// downsampler or upsampler.
func (w *walker[T]) block(blk Block, h T) T {
	for i, r := range blk.Resnets {
		if r.Skip > 0 {
			h = w.v.Concat(h, w.pop(), r, w.at)
		}
		h = w.v.Resnet(h, r, w.at)
		if i < len(blk.Attentions) {
			h = w.v.Transformer(h, blk.Attentions[i], w.at)
		}
		w.push(h)
	}
	if c := blk.Downsample; c != nil {
		w.at = Grid{c.OutSize(w.at.H), c.OutWidth(w.at.W)}
		h = w.v.Conv(h, *c, w.at)
		w.push(h)
	}
	if c := blk.Upsample; c != nil {
		w.at = Grid{2 * w.at.H, 2 * w.at.W}
		h = w.v.Upsample(h, *c, w.at)
	}
	return h
}

// mid runs the UNet's mid block: resnet, then (transformer, resnet) pairs.
func (w *walker[T]) mid(m Block, h T) T {
	h = w.v.Resnet(h, m.Resnets[0], w.at)
	for i, a := range m.Attentions {
		h = w.v.Transformer(h, a, w.at)
		h = w.v.Resnet(h, m.Resnets[i+1], w.at)
	}
	return h
}

// walkOut is every network's end: conv(silu(group norm)).
func walkOut[T any](v Visitor[T], h T, n GroupNorm, c Conv2D, at Grid) T {
	return v.Conv(v.NormAct(h, n, at), c, at)
}

// push records a skip connection when on the down path.
func (w *walker[T]) push(x T) {
	if w.keep {
		w.skips = append(w.skips, x)
	}
}

// pop takes the latest skip off the stack.
func (w *walker[T]) pop() T {
	s := w.skips[len(w.skips)-1]
	w.skips = w.skips[:len(w.skips)-1]
	return s
}
