package sd

import (
	"fmt"
	"slices"

	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// UNet is the loaded conditional UNet (one denoising evaluation).
type UNet struct {
	Desc *weights.UNet
	exec *executor
}

// Guidance is the host side of Guide: the layout weight maps and per-item strengths of one
// evaluation.
type Guidance struct {
	// Grids maps every cross-attention query length (see QueryLengths) to its weight map,
	// [queries, text length] flat (cones/layout's Grid.Data).
	Grids map[int][]float32
	// Strength is guidance_weight·log(1+σ²) per batch item; 0 leaves an item unedited.
	Strength []float32
}

// LayerGrid is the query grid of one cross-attention layer for a given latent size.
type LayerGrid = weights.LayerGrid

// CrossAttentionGrids lists every cross-attention layer's grid for a latent of h×w, in forward
// order (weights.UNet.CrossAttentionGrids).
func (u *UNet) CrossAttentionGrids(h, w int) []LayerGrid { return u.Desc.CrossAttentionGrids(h, w) }

// QueryLengths lists the distinct query lengths of the UNet's cross-attention layers for a latent
// of h×w, largest first: the grids a Guidance must provide (weights.UNet.QueryLengths).
func (u *UNet) QueryLengths(h, w int) []int { return u.Desc.QueryLengths(h, w) }

// Predict evaluates the UNet on sample ([batch, in_channels, h, w], NCHW), one timestep per batch
// item (or one for all), and text ([batch, length, cross_attention_dim]), with layout guidance
// when g is not nil. It returns the model output in the sample's shape.
func (u *UNet) Predict(sample weights.Tensor, timesteps []float32, text weights.Tensor, g *Guidance) (weights.Tensor, error) {
	out, err := u.predict(sample, timesteps, text, g, false)
	if err != nil {
		return weights.Tensor{}, err
	}
	shape := slices.Clone(sample.Shape)
	shape[1] = u.Desc.Config.OutChannels
	return weights.Tensor{Shape: shape, Data: out[0]}, nil
}

// AttentionMap is one cross-attention layer's attention probabilities, averaged over heads.
type AttentionMap struct {
	LayerGrid
	Probs weights.Tensor // [batch, queries, keys]
}

// CrossAttentionMaps is Predict that returns the attention probabilities of every
// cross-attention layer instead of the output, in forward order: what each pixel of each layer
// attends to (layout guidance visible), for inspection and tests.
func (u *UNet) CrossAttentionMaps(sample weights.Tensor, timesteps []float32, text weights.Tensor, g *Guidance) ([]AttentionMap, error) {
	out, err := u.predict(sample, timesteps, text, g, true)
	if err != nil {
		return nil, err
	}
	grids := u.CrossAttentionGrids(sample.Shape[2], sample.Shape[3])
	if len(out)-1 != len(grids) {
		return nil, fmt.Errorf("unet: %d attention maps for %d cross-attention layers", len(out)-1, len(grids))
	}
	maps := make([]AttentionMap, len(grids))
	for i, lg := range grids {
		maps[i] = AttentionMap{LayerGrid: lg, Probs: weights.Tensor{
			Shape: []int{sample.Shape[0], lg.Height * lg.Width, text.Shape[1]}, Data: out[i+1]}}
	}
	return maps, nil
}

// predict runs the plain, guided or probed UNet graph and returns its outputs.
func (u *UNet) predict(sample weights.Tensor, timesteps []float32, text weights.Tensor, g *Guidance, probe bool) ([][]float32, error) {
	if err := u.check(sample, timesteps, text, g); err != nil {
		return nil, err
	}
	bs := sample.Shape[0]
	if len(timesteps) == 1 && bs > 1 {
		timesteps = slices.Repeat(timesteps, bs)
	}
	tp := u.Desc.TimeProj
	tproj := timestepProjection(timesteps, tp)
	inputs := []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(sample.Data, sample.Shape...),
		tensors.FromFlatDataAndDimensions(tproj, bs, tp.Channels),
		tensors.FromFlatDataAndDimensions(text.Data, text.Shape...),
	}
	kind := "unet"
	if g != nil {
		kind = "unet_guided"
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(g.Strength, bs))
		for _, n := range u.QueryLengths(sample.Shape[2], sample.Shape[3]) {
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(g.Grids[n], n, text.Shape[1]))
		}
	}
	if probe {
		kind += "_probed"
	}
	out, err := u.exec.run(kind, func(ctx *context.Context, in []*Node) []*Node {
		var guide *Guide
		if len(in) > 3 {
			guide = &Guide{Strength: in[3], Grids: map[int]*Node{}}
			for _, w := range in[4:] {
				guide.Grids[w.Shape().Dim(0)] = w
			}
		}
		if !probe {
			return []*Node{UNetGraph(ctx, u.Desc, in[0], in[1], in[2], guide)}
		}
		res, maps := UNetAttentionGraph(ctx, u.Desc, in[0], in[1], in[2], guide)
		return append([]*Node{res}, maps...)
	}, inputs...)
	if err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	return out, nil
}

// check validates the inputs of Predict against the config.
func (u *UNet) check(sample weights.Tensor, timesteps []float32, text weights.Tensor, g *Guidance) error {
	c := u.Desc.Config
	if err := checkTensor("unet: sample", sample, 4); err != nil {
		return err
	}
	bs, ch, h, w := sample.Shape[0], sample.Shape[1], sample.Shape[2], sample.Shape[3]
	f := u.Desc.DownsampleFactor()
	switch {
	case ch != c.InChannels:
		return &ShapeError{What: "unet: sample", Problem: fmt.Sprintf("%d channels, the model takes %d (in_channels)", ch, c.InChannels)}
	case h%f != 0 || w%f != 0:
		return &ShapeError{What: "unet: sample", Problem: fmt.Sprintf("latent %dx%d is not a multiple of %d (the UNet's downsampling)", w, h, f)}
	case len(timesteps) != 1 && len(timesteps) != bs:
		return &ShapeError{What: "unet: timesteps", Problem: fmt.Sprintf("%d timesteps for a batch of %d", len(timesteps), bs)}
	}
	if err := checkTensor("unet: text embedding", text, 3); err != nil {
		return err
	}
	if text.Shape[0] != bs || text.Shape[2] != c.CrossAttentionDim {
		return &ShapeError{What: "unet: text embedding", Problem: fmt.Sprintf("shape %v, want [%d, length, %d] (batch, cross_attention_dim)",
			text.Shape, bs, c.CrossAttentionDim)}
	}
	if g == nil {
		return nil
	}
	if len(g.Strength) != bs {
		return &ShapeError{What: "unet: guidance strength", Problem: fmt.Sprintf("%d values for a batch of %d", len(g.Strength), bs)}
	}
	for _, n := range u.QueryLengths(h, w) {
		grid, ok := g.Grids[n]
		if !ok {
			return &ShapeError{What: "unet: layout guidance", Problem: fmt.Sprintf("no weight map for the %d-query layers", n)}
		}
		if len(grid) != n*text.Shape[1] {
			return &ShapeError{What: "unet: layout guidance", Problem: fmt.Sprintf("the %d-query map has %d values, want %d×%d", n, len(grid), n, text.Shape[1])}
		}
	}
	return nil
}

// checkTensor checks a tensor's rank, positive dimensions and data length.
func checkTensor(what string, t weights.Tensor, rank int) error {
	if len(t.Shape) != rank {
		return &ShapeError{What: what, Problem: fmt.Sprintf("shape %v, want rank %d", t.Shape, rank)}
	}
	n := 1
	for _, d := range t.Shape {
		if d <= 0 {
			return &ShapeError{What: what, Problem: fmt.Sprintf("shape %v has an empty dimension", t.Shape)}
		}
		n *= d
	}
	if len(t.Data) != n {
		return &ShapeError{What: what, Problem: fmt.Sprintf("%d values for shape %v (%d)", len(t.Data), t.Shape, n)}
	}
	return nil
}

// timestepProjection is the UNet's sinusoidal timestep projection (time_proj), on the host.
func timestepProjection(timesteps []float32, tp weights.Timesteps) []float32 {
	return nn.TimestepEmbedding(timesteps, tp.Channels, tp.FlipSinToCos, tp.FreqShift)
}
