package gpugraph

import "github.com/cones2web/cones2/weights"

// layers is the WebGPU engine's weights.Visitor: it adds each layer the walks name to the graph.
// temb is nil in the VAE; edit, when set, gives the layout guidance of the cross-attention
// layers with n queries (nil for none).
type layers struct {
	b    *builder
	temb *Seq // silu(time embedding), [batch, 1, temb]
	text Seq  // the text embedding (or its cached keys and values, UNetOptions.TextKV)
	edit func(n int) *attnEdit
}

func (l layers) Conv(x Map, c weights.Conv2D, _ weights.Grid) Map {
	return l.b.conv(x, c, convOpts{})
}

func (l layers) Upsample(x Map, c weights.Conv2D, _ weights.Grid) Map {
	return l.b.conv(x, c, convOpts{upsample: true})
}

func (l layers) Resnet(x Map, r weights.ResnetBlock, _ weights.Grid) Map {
	return l.b.resnet(x, r, l.temb)
}

func (l layers) Concat(h, skip Map, r weights.ResnetBlock, _ weights.Grid) Map {
	return l.b.concat(r.Name+".input", h, skip)
}

func (l layers) Transformer(x Map, t weights.Transformer2D, _ weights.Grid) Map {
	var e *attnEdit
	if l.edit != nil {
		e = l.edit(x.HW())
	}
	return l.b.transformer2D(x, t, l.text, e)
}

func (l layers) VAEAttention(x Map, a weights.VAEAttention, _ weights.Grid) Map {
	return l.b.vaeAttention(x, a)
}

// NormAct fuses the SiLU into the group norm.
func (l layers) NormAct(x Map, n weights.GroupNorm, _ weights.Grid) Map {
	return l.b.groupNorm(x, n, true)
}
