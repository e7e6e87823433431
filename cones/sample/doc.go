// Package sample is the denoising loop of Cones 2 (stage: denoising loop with layout guidance),
// shared by the server's GoMLX engine and the browser's WebGPU engine: plain Go over flat float32
// latents, a cones/schedule sampler, a cones/noise source and a Denoiser that the engine
// implements with its UNet.
//
// It reproduces the official layout_guidance_sampling loop (ali-vilab/Cones-V2):
//
//	x = noise · init_noise_sigma
//	for each step i (the first GuidanceSteps of them are "guided"):
//	    repeat 2 times if guided (self-recurrence), else once:
//	        out = Denoise(scale_model_input(x, i), t_i, σ_guide(i), guided)   // CFG-combined
//	        x = step(out, x, i)
//	        after the first of two passes: x = renoise(x, fresh noise, i)   // back to level i
//
// where σ_guide(i) is the i-th sigma of an LMS schedule of GuidanceSteps steps with Stable
// Diffusion's betas, as the official code takes it (not the sampler's own sigma, unless all steps
// are guided). With the LMS sampler of order 1 this is the official behaviour exactly; with the
// other samplers the same loop runs, each repeating a step the way diffusers would, and Renoise
// moving back a level in that sampler's parameterisation.
package sample
