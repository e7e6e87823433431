package weights

// Ignore is a Visitor that passes its input through every layer unchanged: embed it in a
// visitor that cares about a few kinds of layer only.
type Ignore[T any] struct{}

// Conv passes x through.
func (Ignore[T]) Conv(x T, _ Conv2D, _ Grid) T { return x }

// Upsample passes x through.
func (Ignore[T]) Upsample(x T, _ Conv2D, _ Grid) T { return x }

// Resnet passes x through.
func (Ignore[T]) Resnet(x T, _ ResnetBlock, _ Grid) T { return x }

// Concat passes h through.
func (Ignore[T]) Concat(h, _ T, _ ResnetBlock, _ Grid) T { return h }

// Transformer passes x through.
func (Ignore[T]) Transformer(x T, _ Transformer2D, _ Grid) T { return x }

// VAEAttention passes x through.
func (Ignore[T]) VAEAttention(x T, _ VAEAttention, _ Grid) T { return x }

// NormAct passes x through.
func (Ignore[T]) NormAct(x T, _ GroupNorm, _ Grid) T { return x }
