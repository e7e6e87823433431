// Package subject is the Cones 2 subject trainer: it turns a few photos of one subject and its
// class word ("dog") into a residual text embedding (stage: text embedding (+ residuals) of
// prompt -> tokens -> text embedding (+ residuals) -> denoising loop with layout guidance -> VAE
// -> pixels; this package makes the "+ residuals").
//
// It follows the official train_cones2.py: the images are resized and cropped to the training
// resolution, normalised to [-1, 1] and encoded by the VAE once; every step draws an image, a
// timestep and noise, noises the latent with the model's training schedule and minimises
//
//	mse(unet(noisy, t, E(ids)), target) + a*||E0[:1]-E[:1]|| + b*||E0[k+1:]-E[k+1:]||
//
// over the text encoder's weights only (E the text encoder output for the word alone, E0 the
// same at the first step, held fixed; k the word's token count; target the noise or the
// velocity, as the model's scheduler predicts), with the total gradient norm clipped and
// PyTorch's AdamW. The gradient flows back through the frozen UNet on GoMLX (simplego by
// default, XLA with -tags xla and GOMLX_BACKEND). The residual is then the mean, over a set of
// sentences containing the word, of the tuned minus the frozen text encoder output at the
// word's tokens (Sentences: the 27 official templates or our larger varied set).
//
// Randomness comes from a seed (Seeded), or from recorded draws (Draws) so that the official
// loop's numbers can be reproduced; every draw is a function of the step, so a run resumed from
// a checkpoint (State) continues exactly as the uninterrupted run would.
package subject
