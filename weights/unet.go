package weights

import "fmt"

// Timesteps is diffusers' sinusoidal timestep projection (no parameters): Channels/2
// frequencies exp(-ln(10000)·i/(Channels/2 - FreqShift)), emitted as [sin, cos], or [cos, sin]
// when FlipSinToCos.
type Timesteps struct {
	Channels     int
	FlipSinToCos bool
	FreqShift    float64
}

// TimeEmbedding is Linear2(silu(Linear1(timestep projection))).
type TimeEmbedding struct {
	Name             string
	Linear1, Linear2 Linear
}

// Params lists linear_1 and linear_2.
func (t TimeEmbedding) Params() []Param { return collect(t.Linear1, t.Linear2) }

// UNet describes a diffusers UNet2DConditionModel as Stable Diffusion 1.x/2.x uses it:
//
//	temb = TimeEmbedding(TimeProj(t))
//	h = ConvIn(sample); skips = [h]
//	for each down block: each resnet(+attention) output and the downsampler output join skips
//	h = Mid(h)
//	for each up block: each resnet first concatenates skips.pop() onto h (channels last)
//	out = ConvOut(silu(NormOut(h)))
//
// Every size comes from Config. SkipChannels lists the skip stack the up blocks consume.
type UNet struct {
	Config        UNetConfig
	ConvIn        Conv2D
	TimeProj      Timesteps
	TimeEmbedding TimeEmbedding
	Down          []Block
	Mid           Block
	Up            []Block
	NormOut       GroupNorm
	ConvOut       Conv2D
}

// DescribeUNet builds the description of a UNet from its validated config.
func DescribeUNet(c UNetConfig) (*UNet, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	ch := c.BlockOutChannels
	n := len(ch)
	temb := 4 * ch[0]
	u := &UNet{
		Config:   c,
		ConvIn:   conv("conv_in", c.InChannels, ch[0], c.ConvInKernel),
		TimeProj: Timesteps{Channels: ch[0], FlipSinToCos: c.FlipSinToCos, FreqShift: c.FreqShift},
		TimeEmbedding: TimeEmbedding{
			Name:    "time_embedding",
			Linear1: Linear{Name: "time_embedding.linear_1", In: ch[0], Out: temb, Bias: true},
			Linear2: Linear{Name: "time_embedding.linear_2", In: temb, Out: temb, Bias: true},
		},
		NormOut: GroupNorm{Name: "conv_norm_out", Groups: c.NormNumGroups, Channels: ch[0], Eps: c.NormEps},
		ConvOut: conv("conv_out", ch[0], c.OutChannels, c.ConvOutKernel),
	}
	out := ch[0]
	for i, typ := range c.DownBlockTypes {
		in := out
		out = ch[i]
		u.Down = append(u.Down, c.downBlock(i, typ, in, out, temb, i == n-1))
	}
	u.Mid = c.midBlock(ch[n-1], temb)
	skips := u.SkipChannels()
	out = ch[n-1]
	for i, typ := range c.UpBlockTypes {
		prev := out
		out = ch[n-1-i]
		var b Block
		b, skips = c.upBlock(i, typ, prev, out, temb, skips, i == n-1)
		u.Up = append(u.Up, b)
	}
	return u, nil
}

func (c UNetConfig) tspec(name string, channels, heads int) transformerSpec {
	return transformerSpec{name: name, channels: channels, heads: heads, context: c.CrossAttentionDim,
		groups: c.NormNumGroups, linear: c.UseLinearProjection, upcast: c.UpcastAttention}
}

func (c UNetConfig) rspec(name string, in, skip, out, temb int, scale float64) resnetSpec {
	return resnetSpec{name: name, in: in, skip: skip, out: out, temb: temb, groups: c.NormNumGroups, eps: c.NormEps, scale: scale}
}

func (c UNetConfig) downBlock(i int, typ string, in, out, temb int, last bool) Block {
	name := fmt.Sprintf("down_blocks.%d", i)
	b := Block{Name: name, Type: typ, In: in, Out: out}
	for j := range c.LayersPerBlock {
		rin := out
		if j == 0 {
			rin = in
		}
		b.Resnets = append(b.Resnets, newResnet(c.rspec(fmt.Sprintf("%s.resnets.%d", name, j), rin, 0, out, temb, 1)))
		if typ == "CrossAttnDownBlock2D" {
			b.Attentions = append(b.Attentions, newTransformer2D(c.tspec(fmt.Sprintf("%s.attentions.%d", name, j), out, c.Heads(i))))
		}
	}
	if !last {
		b.Downsample = downsampler(name, out, c.DownsamplePadding)
	}
	return b
}

func (c UNetConfig) midBlock(ch, temb int) Block {
	n := len(c.BlockOutChannels)
	b := Block{Name: "mid_block", Type: *c.MidBlockType, In: ch, Out: ch}
	s := c.MidBlockScale
	b.Resnets = []ResnetBlock{
		newResnet(c.rspec("mid_block.resnets.0", ch, 0, ch, temb, s)),
		newResnet(c.rspec("mid_block.resnets.1", ch, 0, ch, temb, s)),
	}
	b.Attentions = []Transformer2D{newTransformer2D(c.tspec("mid_block.attentions.0", ch, c.Heads(n-1)))}
	return b
}

// upBlock builds up block i with LayersPerBlock+1 resnets, each consuming one skip from the end
// of skips; it returns the remaining stack.
func (c UNetConfig) upBlock(i int, typ string, prev, out, temb int, skips []int, last bool) (Block, []int) {
	n := len(c.BlockOutChannels)
	name := fmt.Sprintf("up_blocks.%d", i)
	b := Block{Name: name, Type: typ, In: prev, Out: out}
	for j := range c.LayersPerBlock + 1 {
		rin := out
		if j == 0 {
			rin = prev
		}
		skip := skips[len(skips)-1]
		skips = skips[:len(skips)-1]
		b.Resnets = append(b.Resnets, newResnet(c.rspec(fmt.Sprintf("%s.resnets.%d", name, j), rin, skip, out, temb, 1)))
		if typ == "CrossAttnUpBlock2D" {
			b.Attentions = append(b.Attentions, newTransformer2D(c.tspec(fmt.Sprintf("%s.attentions.%d", name, j), out, c.Heads(n-1-i))))
		}
	}
	if !last {
		b.Upsample = upsampler(name, out)
	}
	return b, skips
}

// SkipChannels lists the channel counts pushed on the skip stack in the down path, in push
// order: conv_in's output, then every down resnet's (after its attention), then every
// downsampler's. The up path pops them from the end, one per resnet. It is the down path of
// WalkUNet with channel counts for values, so DescribeUNet sizes the up blocks by the same walk
// the engines run.
func (u *UNet) SkipChannels() []int {
	w := &walker[int]{v: channels{}}
	w.down(u, u.ConvIn.In)
	return w.skips
}

// channels is a Visitor whose values are channel counts (the down path has no other layer
// that changes them).
type channels struct{ Ignore[int] }

func (channels) Conv(_ int, c Conv2D, _ Grid) int        { return c.Out }
func (channels) Resnet(_ int, r ResnetBlock, _ Grid) int { return r.Out }

// TimeEmbedDim is the width of the time embedding every resnet receives.
func (u *UNet) TimeEmbedDim() int { return u.TimeEmbedding.Linear2.Out }

// DownsampleFactor is the ratio of latent side to the coarsest UNet level; latent sides
// that are multiples of it need no special handling in the up path.
func (u *UNet) DownsampleFactor() int {
	f := 1
	for _, b := range u.Down {
		if b.Downsample != nil {
			f *= 2
		}
	}
	return f
}

// Params lists every parameter in forward order.
func (u *UNet) Params() []Param {
	ms := []Module{u.ConvIn, u.TimeEmbedding}
	for _, b := range u.Down {
		ms = append(ms, b)
	}
	ms = append(ms, u.Mid)
	for _, b := range u.Up {
		ms = append(ms, b)
	}
	return collect(append(ms, u.NormOut, u.ConvOut)...)
}
