package sd

import (
	"errors"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

func zeros(dims ...int) weights.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return weights.Tensor{Shape: dims, Data: make([]float32, n)}
}

// Inputs that do not fit the config are a *ShapeError naming the input, never a panic.
func TestShapeErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	p := pipeline(t, v)
	c := p.Model.UNet.Config
	in, ctx := c.InChannels, c.CrossAttentionDim
	qls := p.UNet.QueryLengths(16, 16)
	grids := map[int][]float32{}
	for _, n := range qls {
		grids[n] = make([]float32, n*77)
	}
	short := map[int][]float32{qls[0]: make([]float32, qls[0]*77)}
	cases := []struct {
		name, text string
		run        func() error
	}{
		{"unet channels", "in_channels", func() error {
			_, err := p.UNet.Predict(zeros(1, in+1, 16, 16), []float32{1}, zeros(1, 77, ctx), nil)
			return err
		}},
		{"unet size", "multiple", func() error {
			_, err := p.UNet.Predict(zeros(1, in, 15, 16), []float32{1}, zeros(1, 77, ctx), nil)
			return err
		}},
		{"unet rank", "rank", func() error {
			_, err := p.UNet.Predict(zeros(in, 16, 16), []float32{1}, zeros(1, 77, ctx), nil)
			return err
		}},
		{"unet data length", "values", func() error {
			s := zeros(1, in, 16, 16)
			s.Data = s.Data[1:]
			_, err := p.UNet.Predict(s, []float32{1}, zeros(1, 77, ctx), nil)
			return err
		}},
		{"unet text width", "cross_attention_dim", func() error {
			_, err := p.UNet.Predict(zeros(1, in, 16, 16), []float32{1}, zeros(1, 77, ctx+1), nil)
			return err
		}},
		{"unet timesteps", "timesteps", func() error {
			_, err := p.UNet.Predict(zeros(2, in, 16, 16), []float32{1, 2, 3}, zeros(2, 77, ctx), nil)
			return err
		}},
		{"unet strength", "strength", func() error {
			_, err := p.UNet.Predict(zeros(1, in, 16, 16), []float32{1}, zeros(1, 77, ctx), &Guidance{Grids: grids, Strength: []float32{1, 2}})
			return err
		}},
		{"unet missing grid", "no weight map", func() error {
			_, err := p.UNet.Predict(zeros(1, in, 16, 16), []float32{1}, zeros(1, 77, ctx), &Guidance{Grids: short, Strength: []float32{1}})
			return err
		}},
		{"text too long", "max_position_embeddings", func() error {
			_, err := p.TextEncoder.Encode([][]int{make([]int, 78)})
			return err
		}},
		{"text ragged", "row 1", func() error { _, err := p.TextEncoder.Encode([][]int{make([]int, 77), make([]int, 76)}); return err }},
		{"vae channels", "latent_channels", func() error { _, err := p.VAE.Decode(zeros(1, 3, 16, 16)); return err }},
		{"vae image size", "multiples", func() error { _, _, err := p.VAE.Encode(zeros(1, 3, 100, 128)); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			var se *ShapeError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *ShapeError", err)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q does not mention %q", err, c.text)
			}
		})
	}
	if _, err := p.TextEncoder.Encode([][]int{{0, 1 << 30}}); err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Fatalf("token id outside the vocabulary: %v", err)
	}
}
