package weights

// WalkVAEDecoder runs AutoencoderKL.decode's layers on z (the latents already divided by the
// scaling factor), a latent of grid at:
//
//	h = decoder.conv_in(post_quant_conv(z)); h = mid(h); up blocks (resnets, then the upsampler)
//	image = decoder.conv_out(silu(decoder.conv_norm_out(h)))
func WalkVAEDecoder[T any](v *VAE, z T, at Grid, vis Visitor[T]) T {
	d := v.Decoder
	h := vis.Conv(z, v.PostQuantConv, at)
	h = vis.Conv(h, d.ConvIn, at)
	h = walkVAEMid(vis, d.Mid, h, at)
	for _, blk := range d.Up {
		h, at = WalkBlock(blk, h, at, vis)
	}
	return walkOut(vis, h, d.NormOut, d.ConvOut, at)
}

// WalkVAEEncoder runs the VAE encoder on image, of grid at, up to its conv_out: the moments
// [mean; log-variance] before quant_conv, which the caller applies (the CPU engine splits it
// into its two halves).
//
//	h = encoder.conv_in(image); down blocks (resnets, then the downsampler); h = mid(h)
//	moments = encoder.conv_out(silu(encoder.conv_norm_out(h)))
func WalkVAEEncoder[T any](v *VAE, image T, at Grid, vis Visitor[T]) T {
	e := v.Encoder
	h := vis.Conv(image, e.ConvIn, at)
	for _, blk := range e.Down {
		h, at = WalkBlock(blk, h, at, vis)
	}
	h = walkVAEMid(vis, e.Mid, h, at)
	return walkOut(vis, h, e.NormOut, e.ConvOut, at)
}

// walkVAEMid runs the VAE's mid block: resnet, then (attention, resnet) pairs.
func walkVAEMid[T any](v Visitor[T], m VAEMidBlock, h T, at Grid) T {
	h = v.Resnet(h, m.Resnets[0], at)
	for i, a := range m.Attentions {
		h = v.VAEAttention(h, a, at)
		h = v.Resnet(h, m.Resnets[i+1], at)
	}
	return h
}
