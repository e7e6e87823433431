package weights

// SDModelIndex and SDScheduler are the pipeline files of an epsilon-prediction Stable Diffusion
// (1.x, 2.1-base): its classes and its training noise schedule (PNDM, scaled-linear betas
// 0.00085..0.012 over 1000 steps). The models this repository makes (the tiny test model, the
// default shapes model) use them.
const SDModelIndex = `{
  "_class_name": "StableDiffusionPipeline",
  "_diffusers_version": "0.13.1",
  "scheduler": ["diffusers", "PNDMScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"],
  "tokenizer": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"],
  "vae": ["diffusers", "AutoencoderKL"]
}
`

const SDScheduler = `{
  "_class_name": "PNDMScheduler",
  "_diffusers_version": "0.13.1",
  "beta_start": 0.00085,
  "beta_end": 0.012,
  "beta_schedule": "scaled_linear",
  "num_train_timesteps": 1000,
  "prediction_type": "epsilon",
  "set_alpha_to_one": false,
  "skip_prk_steps": true,
  "steps_offset": 1,
  "clip_sample": false,
  "trained_betas": null
}
`
