// Package pretrain trains the three Stable Diffusion models of the default model from scratch on
// the synthetic shapes world (package shapes), on GoMLX: the BPE tokenizer from the captions, the
// VAE (pixels <-> latents) on reconstruction plus a small KL term, then the CLIP text encoder
// (tokens -> text embedding) and the conditional UNet (the denoising loop's model) jointly on the
// frozen VAE's latents with the epsilon loss and caption dropout, so that classifier-free
// guidance works. It writes an ordinary diffusers folder (fp16, manifest) that every engine of
// the project loads like a real Stable Diffusion checkpoint.
//
// Runs are deterministic for a seed and resumable: every phase checkpoints its variables and
// optimiser state, and the data is indexed (shapes.Set), so a resumed run sees the same batches.
package pretrain
