package sd

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// VAE is the loaded autoencoder (latents <-> pixels).
type VAE struct {
	Desc *weights.VAE
	exec *executor
}

// Decode turns the denoising loop's latents ([batch, latent_channels, h, w]; divided by the
// scaling factor inside) into images in [-1, 1] ([batch, out_channels, 8h, 8w]).
func (v *VAE) Decode(latents weights.Tensor) (weights.Tensor, error) {
	if err := checkTensor("vae: latents", latents, 4); err != nil {
		return weights.Tensor{}, err
	}
	if latents.Shape[1] != v.Desc.LatentChannels {
		return weights.Tensor{}, &ShapeError{What: "vae: latents", Problem: fmt.Sprintf("%d channels, the VAE has %d (latent_channels)",
			latents.Shape[1], v.Desc.LatentChannels)}
	}
	out, err := v.exec.run("vae_decode", func(ctx *context.Context, in []*Node) []*Node {
		return []*Node{VAEDecodeGraph(ctx, v.Desc, in[0])}
	}, tensors.FromFlatDataAndDimensions(latents.Data, latents.Shape...))
	if err != nil {
		return weights.Tensor{}, fmt.Errorf("vae decode: %w", err)
	}
	f := v.Desc.DownsampleFactor()
	shape := []int{latents.Shape[0], v.Desc.Config.OutChannels, latents.Shape[2] * f, latents.Shape[3] * f}
	return weights.Tensor{Shape: shape, Data: out[0]}, nil
}

// Encode returns the mean and log-variance of the latent distribution of images in [-1, 1]
// ([batch, in_channels, H, W], H and W multiples of the downsampling factor), unscaled (multiply
// a sample by the scaling factor to get the loop's latents).
func (v *VAE) Encode(image weights.Tensor) (mean, logvar weights.Tensor, err error) {
	if err := checkTensor("vae: image", image, 4); err != nil {
		return mean, logvar, err
	}
	f := v.Desc.DownsampleFactor()
	c, h, w := image.Shape[1], image.Shape[2], image.Shape[3]
	if c != v.Desc.Config.InChannels || h%f != 0 || w%f != 0 {
		return mean, logvar, &ShapeError{What: "vae: image", Problem: fmt.Sprintf("shape %v, want [batch, %d, H, W] with H and W multiples of %d",
			image.Shape, v.Desc.Config.InChannels, f)}
	}
	out, err := v.exec.run("vae_encode", func(ctx *context.Context, in []*Node) []*Node {
		m, lv := VAEEncodeGraph(ctx, v.Desc, in[0])
		return []*Node{m, lv}
	}, tensors.FromFlatDataAndDimensions(image.Data, image.Shape...))
	if err != nil {
		return mean, logvar, fmt.Errorf("vae encode: %w", err)
	}
	shape := []int{image.Shape[0], v.Desc.LatentChannels, h / f, w / f}
	return weights.Tensor{Shape: shape, Data: out[0]}, weights.Tensor{Shape: shape, Data: out[1]}, nil
}
