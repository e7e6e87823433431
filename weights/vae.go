package weights

import "fmt"

// VAEAttention is diffusers' AttentionBlock in the VAE mid blocks: single-head self-attention
// over all pixels, with a residual connection:
//
//	h = Norm(x) as pixels × channels
//	out = (Attn(h) + x) / OutputScale
//
// Its projections use the older names query, key, value and proj_attn (see renames.go).
type VAEAttention struct {
	Name        string
	Norm        GroupNorm
	Attn        Attention
	OutputScale float64
}

// Params lists group_norm and the projections; each projection accepts its newer name too.
func (a VAEAttention) Params() []Param {
	ps := collect(a.Norm, a.Attn)
	for i := range ps {
		ps[i].Aliases = vaeAttentionAliases(ps[i].Name)
	}
	return ps
}

// VAEMidBlock is diffusers' UNetMidBlock2D without time embedding: Resnets[0], then for each
// attention Attentions[i] and Resnets[i+1].
type VAEMidBlock struct {
	Name       string
	Channels   int
	Resnets    []ResnetBlock
	Attentions []VAEAttention
}

// Params lists the mid block's parameters in the order they run.
func (m VAEMidBlock) Params() []Param {
	ms := []Module{m.Resnets[0]}
	for i, a := range m.Attentions {
		ms = append(ms, a, m.Resnets[i+1])
	}
	return collect(ms...)
}

// VAEEncoder maps an image to the mean and log-variance of the latent distribution:
//
//	h = ConvIn(x); h = Down(h); h = Mid(h); h = ConvOut(silu(NormOut(h)))   -> 2×latent channels
type VAEEncoder struct {
	Name    string
	ConvIn  Conv2D
	Down    []Block // DownEncoderBlock2D: resnets, then a downsampler padded (0, 1, 0, 1)
	Mid     VAEMidBlock
	NormOut GroupNorm
	ConvOut Conv2D
}

// Params lists the encoder's parameters in the order they run.
func (e VAEEncoder) Params() []Param {
	ms := []Module{e.ConvIn}
	for _, b := range e.Down {
		ms = append(ms, b)
	}
	return collect(append(ms, e.Mid, e.NormOut, e.ConvOut)...)
}

// VAEDecoder maps latents to an image:
//
//	h = ConvIn(z); h = Mid(h); h = Up(h); x = ConvOut(silu(NormOut(h)))
type VAEDecoder struct {
	Name    string
	ConvIn  Conv2D
	Mid     VAEMidBlock
	Up      []Block // UpDecoderBlock2D: LayersPerBlock+1 resnets, then nearest ×2 and a conv
	NormOut GroupNorm
	ConvOut Conv2D
}

// Params lists the decoder's parameters in the order they run.
func (d VAEDecoder) Params() []Param {
	ms := []Module{d.ConvIn, d.Mid}
	for _, b := range d.Up {
		ms = append(ms, b)
	}
	return collect(append(ms, d.NormOut, d.ConvOut)...)
}

// VAE describes a diffusers AutoencoderKL:
//
//	encode: moments = QuantConv(Encoder(image)); mean, logvar = split(moments, 2)
//	decode: image = Decoder(PostQuantConv(latents / ScalingFactor))
//
// (the pipeline divides by ScalingFactor before decode and multiplies after encode).
type VAE struct {
	Config         VAEConfig
	Encoder        VAEEncoder
	Decoder        VAEDecoder
	QuantConv      Conv2D // 1x1, 2×latent -> 2×latent
	PostQuantConv  Conv2D // 1x1, latent -> latent
	LatentChannels int
	ScalingFactor  float64
}

// vaeEps is the epsilon diffusers' Encoder and Decoder hard-code for every group norm.
const vaeEps = 1e-6

// DescribeVAE builds the description of an AutoencoderKL from its validated config.
func DescribeVAE(c VAEConfig) (*VAE, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	ch, z := c.BlockOutChannels, c.LatentChannels
	n := len(ch)
	v := &VAE{Config: c, LatentChannels: z, ScalingFactor: c.ScalingFactor,
		QuantConv:     conv("quant_conv", 2*z, 2*z, 1),
		PostQuantConv: conv("post_quant_conv", z, z, 1),
	}
	e := VAEEncoder{Name: "encoder", ConvIn: conv("encoder.conv_in", c.InChannels, ch[0], 3)}
	out := ch[0]
	for i, typ := range c.DownBlockTypes {
		in := out
		out = ch[i]
		name := fmt.Sprintf("encoder.down_blocks.%d", i)
		b := Block{Name: name, Type: typ, In: in, Out: out}
		for j := range c.LayersPerBlock {
			rin := out
			if j == 0 {
				rin = in
			}
			b.Resnets = append(b.Resnets, c.resnet(fmt.Sprintf("%s.resnets.%d", name, j), rin, out))
		}
		if i < n-1 {
			b.Downsample = downsampler(name, out, 0)
		}
		e.Down = append(e.Down, b)
	}
	e.Mid = c.midBlock("encoder.mid_block", ch[n-1])
	e.NormOut = GroupNorm{Name: "encoder.conv_norm_out", Groups: c.NormNumGroups, Channels: ch[n-1], Eps: vaeEps}
	e.ConvOut = conv("encoder.conv_out", ch[n-1], 2*z, 3)
	v.Encoder = e

	d := VAEDecoder{Name: "decoder", ConvIn: conv("decoder.conv_in", z, ch[n-1], 3)}
	d.Mid = c.midBlock("decoder.mid_block", ch[n-1])
	out = ch[n-1]
	for i, typ := range c.UpBlockTypes {
		prev := out
		out = ch[n-1-i]
		name := fmt.Sprintf("decoder.up_blocks.%d", i)
		b := Block{Name: name, Type: typ, In: prev, Out: out}
		for j := range c.LayersPerBlock + 1 {
			rin := out
			if j == 0 {
				rin = prev
			}
			b.Resnets = append(b.Resnets, c.resnet(fmt.Sprintf("%s.resnets.%d", name, j), rin, out))
		}
		if i < n-1 {
			b.Upsample = upsampler(name, out)
		}
		d.Up = append(d.Up, b)
	}
	d.NormOut = GroupNorm{Name: "decoder.conv_norm_out", Groups: c.NormNumGroups, Channels: ch[0], Eps: vaeEps}
	d.ConvOut = conv("decoder.conv_out", ch[0], c.OutChannels, 3)
	v.Decoder = d
	return v, nil
}

func (c VAEConfig) resnet(name string, in, out int) ResnetBlock {
	return newResnet(resnetSpec{name: name, in: in, out: out, groups: c.NormNumGroups, eps: vaeEps, scale: 1})
}

func (c VAEConfig) midBlock(name string, ch int) VAEMidBlock {
	a := join(name, "attentions", "0")
	lin := func(n string) Linear { return Linear{Name: join(a, n), In: ch, Out: ch, Bias: true} }
	return VAEMidBlock{
		Name: name, Channels: ch,
		Resnets: []ResnetBlock{c.resnet(join(name, "resnets", "0"), ch, ch), c.resnet(join(name, "resnets", "1"), ch, ch)},
		Attentions: []VAEAttention{{
			Name: a,
			Norm: GroupNorm{Name: join(a, "group_norm"), Groups: c.NormNumGroups, Channels: ch, Eps: vaeEps},
			Attn: Attention{Name: a, Q: lin("query"), K: lin("key"), V: lin("value"), Out: lin("proj_attn"),
				Heads: 1, HeadDim: ch},
			OutputScale: 1,
		}},
	}
}

// DownsampleFactor is the ratio of image side to latent side.
func (v *VAE) DownsampleFactor() int { return v.Config.DownsampleFactor() }

// Params lists encoder, quant_conv, post_quant_conv and decoder parameters.
func (v *VAE) Params() []Param {
	return collect(v.Encoder, v.QuantConv, v.PostQuantConv, v.Decoder)
}
