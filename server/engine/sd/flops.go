package sd

import "github.com/cones2web/cones2/weights"

// FLOPs counts the floating-point operations of one network evaluation from its description,
// as 2 per multiply-add of the matrix products: convolutions (2·out·in·k²·pixels), linear
// layers (2·in·out·tokens) and attention (2·queries·keys·width for Q·Kᵀ and again for the
// product with V). Normalisations, activations, softmax and additions are left out: they are a
// few operations per value, well under 1% of Stable Diffusion's total, and memory-bound.
type FLOPs struct {
	Conv, Linear, Attention float64
}

// Total is the sum of the parts.
func (f FLOPs) Total() float64 { return f.Conv + f.Linear + f.Attention }

func (f *FLOPs) conv(c weights.Conv2D, batch, outH, outW int) {
	f.Conv += 2 * float64(batch*outH*outW) * float64(c.Out*c.In*c.Kernel*c.Kernel)
}

func (f *FLOPs) linear(l weights.Linear, tokens int) {
	f.Linear += 2 * float64(tokens) * float64(l.In*l.Out)
}

// attention counts the projections and both products of d for queries n and keys m per item.
func (f *FLOPs) attention(d weights.Attention, batch, n, m int) {
	f.linear(d.Q, batch*n)
	f.linear(d.K, batch*m)
	f.linear(d.V, batch*m)
	f.linear(d.Out, batch*n)
	width := d.Heads * d.HeadDim
	f.Attention += 2 * 2 * float64(batch) * float64(n) * float64(m) * float64(width)
}

func (f *FLOPs) resnet(r weights.ResnetBlock, batch, h, w int) {
	f.conv(r.Conv1, batch, h, w)
	f.conv(r.Conv2, batch, h, w)
	if r.Shortcut != nil {
		f.conv(*r.Shortcut, batch, h, w)
	}
	if r.TimeEmbProj != nil {
		f.linear(*r.TimeEmbProj, batch)
	}
}

func (f *FLOPs) transformer(t weights.Transformer2D, batch, h, w, textLen int) {
	n := batch * h * w
	f.linear(t.ProjIn, n)
	for _, b := range t.Blocks {
		f.attention(b.Attn1, batch, h*w, h*w)
		f.attention(b.Attn2, batch, h*w, textLen)
		f.linear(b.FF.Proj, n)
		f.linear(b.FF.Out, n)
	}
	f.linear(t.ProjOut, n)
}

// UNetFLOPs counts one UNet evaluation of a batch of latents h×w with textLen text tokens.
func UNetFLOPs(d *weights.UNet, batch, h, w, textLen int) FLOPs {
	var f FLOPs
	f.linear(d.TimeEmbedding.Linear1, batch)
	f.linear(d.TimeEmbedding.Linear2, batch)
	f.conv(d.ConvIn, batch, h, w)
	block := func(blk weights.Block) {
		for i, r := range blk.Resnets {
			f.resnet(r, batch, h, w)
			if i < len(blk.Attentions) {
				f.transformer(blk.Attentions[i], batch, h, w, textLen)
			}
		}
	}
	for _, blk := range d.Down {
		block(blk)
		if blk.Downsample != nil {
			h, w = blk.Downsample.OutSize(h), blk.Downsample.OutSize(w)
			f.conv(*blk.Downsample, batch, h, w)
		}
	}
	f.resnet(d.Mid.Resnets[0], batch, h, w)
	for i, a := range d.Mid.Attentions {
		f.transformer(a, batch, h, w, textLen)
		f.resnet(d.Mid.Resnets[i+1], batch, h, w)
	}
	for _, blk := range d.Up {
		block(blk)
		if blk.Upsample != nil {
			h, w = 2*h, 2*w
			f.conv(*blk.Upsample, batch, h, w)
		}
	}
	f.conv(d.ConvOut, batch, h, w)
	return f
}

// VAEDecodeFLOPs counts one decode of a batch of latents h×w.
func VAEDecodeFLOPs(d *weights.VAE, batch, h, w int) FLOPs {
	var f FLOPs
	f.conv(d.PostQuantConv, batch, h, w)
	f.conv(d.Decoder.ConvIn, batch, h, w)
	f.vaeMid(d.Decoder.Mid, batch, h, w)
	for _, blk := range d.Decoder.Up {
		for _, r := range blk.Resnets {
			f.resnet(r, batch, h, w)
		}
		if blk.Upsample != nil {
			h, w = 2*h, 2*w
			f.conv(*blk.Upsample, batch, h, w)
		}
	}
	f.conv(d.Decoder.ConvOut, batch, h, w)
	return f
}

func (f *FLOPs) vaeMid(m weights.VAEMidBlock, batch, h, w int) {
	f.resnet(m.Resnets[0], batch, h, w)
	for i, a := range m.Attentions {
		f.attention(a.Attn, batch, h*w, h*w)
		f.resnet(m.Resnets[i+1], batch, h, w)
	}
}

// TextEncoderFLOPs counts one encoding of a batch of n tokens.
func TextEncoderFLOPs(d *weights.TextEncoder, batch, n int) FLOPs {
	var f FLOPs
	for _, l := range d.Layers {
		f.attention(l.Attn, batch, n, n)
		f.linear(l.FC1, batch*n)
		f.linear(l.FC2, batch*n)
	}
	return f
}
