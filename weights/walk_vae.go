package weights

// WalkVAEDecoder runs AutoencoderKL.decode's layers on z (the latents already divided by the
// scaling factor), a latent of grid at:
//
//	h = decoder.conv_in(post_quant_conv(z)); h = mid(h); up blocks (resnets, then the upsampler)
//	image = decoder.conv_out(silu(decoder.conv_norm_out(h)))
func WalkVAEDecoder[T any](v *VAE, z T, at Grid, vis Visitor[T]) T {
	w := &walker[T]{v: vis, at: at}
	d := v.Decoder
	h := vis.Conv(z, v.PostQuantConv, at)
	h = vis.Conv(h, d.ConvIn, at)
	h = w.vaeMid(d.Mid, h)
	for _, blk := range d.Up {
		h = w.block(blk, h)
	}
	return w.out(h, d.NormOut, d.ConvOut)
}

// WalkVAEEncoder runs the VAE encoder on image, of grid at, up to its conv_out: the moments
// [mean; log-variance] before quant_conv, which the caller applies (the CPU engine splits it
// into its two halves).
//
//	h = encoder.conv_in(image); down blocks (resnets, then the downsampler); h = mid(h)
//	moments = encoder.conv_out(silu(encoder.conv_norm_out(h)))
func WalkVAEEncoder[T any](v *VAE, image T, at Grid, vis Visitor[T]) T {
	w := &walker[T]{v: vis, at: at}
	e := v.Encoder
	h := vis.Conv(image, e.ConvIn, at)
	for _, blk := range e.Down {
		h = w.block(blk, h)
	}
	h = w.vaeMid(e.Mid, h)
	return w.out(h, e.NormOut, e.ConvOut)
}

// vaeMid runs the VAE's mid block: resnet, then (attention, resnet) pairs.
func (w *walker[T]) vaeMid(m VAEMidBlock, h T) T {
	h = w.v.Resnet(h, m.Resnets[0], w.at)
	for i, a := range m.Attentions {
		h = w.v.VAEAttention(h, a, w.at)
		h = w.v.Resnet(h, m.Resnets[i+1], w.at)
	}
	return h
}
