package weights

// ResnetBlock is diffusers' ResnetBlock2D as Stable Diffusion uses it (pre-norm, SiLU, the
// "default" time embedding that is added, not scale-shifted):
//
//	h = Conv1(silu(Norm1(x)))
//	h = h + TimeEmbProj(silu(temb))[:, :, None, None]   (when TimeEmbProj != nil)
//	h = Conv2(silu(Norm2(h)))                            (dropout is inactive at inference)
//	out = (Shortcut(x) or x) + h) / OutputScale
type ResnetBlock struct {
	Name    string
	In, Out int // In includes Skip
	// Skip is the channel count of the skip connection concatenated (after the running
	// hidden state, along channels) onto this block's input: non-zero only in UNet up blocks.
	Skip        int
	Norm1       GroupNorm
	Conv1       Conv2D
	TimeEmbProj *Linear // nil in the VAE, which has no time embedding
	Norm2       GroupNorm
	Conv2       Conv2D
	Shortcut    *Conv2D // 1x1 conv_shortcut when In != Out, else nil (identity)
	OutputScale float64
}

// resnetSpec is what a block builder knows about one resnet.
type resnetSpec struct {
	name          string
	in, skip, out int
	temb, groups  int // temb 0: no time embedding
	eps, scale    float64
}

func newResnet(s resnetSpec) ResnetBlock {
	in := s.in + s.skip
	r := ResnetBlock{
		Name: s.name, In: in, Out: s.out, Skip: s.skip,
		Norm1:       GroupNorm{Name: join(s.name, "norm1"), Groups: s.groups, Channels: in, Eps: s.eps},
		Conv1:       conv(join(s.name, "conv1"), in, s.out, 3),
		Norm2:       GroupNorm{Name: join(s.name, "norm2"), Groups: s.groups, Channels: s.out, Eps: s.eps},
		Conv2:       conv(join(s.name, "conv2"), s.out, s.out, 3),
		OutputScale: s.scale,
	}
	if s.temb > 0 {
		r.TimeEmbProj = &Linear{Name: join(s.name, "time_emb_proj"), In: s.temb, Out: s.out, Bias: true}
	}
	if in != s.out {
		sc := conv(join(s.name, "conv_shortcut"), in, s.out, 1)
		r.Shortcut = &sc
	}
	return r
}

// Params lists norm1, conv1, time_emb_proj, norm2, conv2 and conv_shortcut as present.
func (r ResnetBlock) Params() []Param {
	ms := []Module{r.Norm1, r.Conv1}
	if r.TimeEmbProj != nil {
		ms = append(ms, *r.TimeEmbProj)
	}
	ms = append(ms, r.Norm2, r.Conv2)
	if r.Shortcut != nil {
		ms = append(ms, *r.Shortcut)
	}
	return collect(ms...)
}

// downsampler is Downsample2D with a convolution: 3x3, stride 2. diffusers pads 1 on every
// side, or with padding 0 pads (0, 1, 0, 1) explicitly before the convolution.
func downsampler(block string, ch, padding int) *Conv2D {
	c := conv(join(block, "downsamplers", "0", "conv"), ch, ch, 3)
	c.Stride = 2
	c.Pad = Same(padding)
	if padding == 0 {
		c.Pad = Padding{Top: 0, Bottom: 1, Left: 0, Right: 1}
	}
	return &c
}

// upsampler is Upsample2D: nearest-neighbour ×2, then this 3x3 convolution.
func upsampler(block string, ch int) *Conv2D {
	c := conv(join(block, "upsamplers", "0", "conv"), ch, ch, 3)
	return &c
}

// Block is one level of a UNet or VAE: its resnets, the attention after each resnet (cross
// attention blocks only), then an optional downsampler or upsampler.
//
// Down and up blocks run, for i in order: Resnets[i], then Attentions[i] if HasAttention().
// A mid block runs Resnets[0], then Attentions[i] and Resnets[i+1] for each attention.
type Block struct {
	Name string // "down_blocks.1", "mid_block", "decoder.up_blocks.0"
	Type string // the diffusers class: CrossAttnDownBlock2D, UpBlock2D, DownEncoderBlock2D, ...
	// In is the channel count entering the block (for up blocks: the running hidden state,
	// before any skip is concatenated); Out the count leaving it.
	In, Out    int
	Resnets    []ResnetBlock
	Attentions []Transformer2D
	Downsample *Conv2D // downsamplers.0.conv, stride 2, applied after the resnets
	Upsample   *Conv2D // upsamplers.0.conv, applied after nearest ×2 upsampling
}

// HasAttention reports whether the block has transformer (cross-attention) layers.
func (b Block) HasAttention() bool { return len(b.Attentions) > 0 }

// Params lists resnets, attentions and samplers in the order they run.
func (b Block) Params() []Param {
	var ms []Module
	for i, r := range b.Resnets {
		ms = append(ms, r)
		if i < len(b.Attentions) {
			ms = append(ms, b.Attentions[i])
		}
	}
	if b.Downsample != nil {
		ms = append(ms, *b.Downsample)
	}
	if b.Upsample != nil {
		ms = append(ms, *b.Upsample)
	}
	return collect(ms...)
}
