package generate

import (
	"context"
	"slices"

	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// denoiser is the GoMLX engine's sample.Denoiser: one UNet evaluation of the batch
// [unconditional, conditional], layout guidance on the conditional item only, then
// classifier-free guidance.
type denoiser struct {
	unet     *sd.UNet
	text     weights.Tensor    // [2, length, width]: unconditional, conditional (+ residuals)
	grids    map[int][]float32 // nil: no layout (guided steps then run plain attention)
	weight   float64           // guidance_weight
	cfg      float32
	latShape []int // [1, channels, h, w]
}

var _ sample.Denoiser = (*denoiser)(nil)

// Denoise implements sample.Denoiser.
func (d *denoiser) Denoise(ctx context.Context, x []float32, s sample.Step) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	shape := slices.Clone(d.latShape)
	shape[0] = 2
	batch := weights.Tensor{Shape: shape, Data: append(slices.Clone(x), x...)}
	var g *sd.Guidance
	if s.Guided && d.grids != nil {
		g = &sd.Guidance{Grids: d.grids, Strength: []float32{0, sample.EditStrength(d.weight, s.GuideSigma)}}
	}
	out, err := d.unet.Predict(batch, []float32{float32(s.Timestep)}, d.text, g)
	if err != nil {
		return nil, err
	}
	return sample.CombineCFG(out.Data[:len(x)], out.Data[len(x):], d.cfg), nil
}
