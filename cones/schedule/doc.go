// Package schedule holds the diffusion noise schedulers of the denoising loop (stage: prompt ->
// tokens -> text embedding (+ residuals) -> *denoising loop with layout guidance* -> VAE -> pixels).
//
// It reproduces the schedulers of diffusers v0.13.1 (the version Cones 2 pins) on flat float32
// latents: LMS (k-LMS, orders 1-4), DDIM (eta 0), Euler, DPM-Solver(++) multistep (2M by name)
// and PNDM/PLMS, plus the DDPM forward process (AddNoise, GetVelocity) on alphas_cumprod.
//
// Precision follows the reference path, not just the formulas: betas come from torch's float32
// linspace, alphas_cumprod is accumulated in float64 and stored as float32 (torch's CPU cumprod),
// sigma tables are built in float32 and interpolated in float64 like np.interp, and every per-element
// update is done in float32 in the order PyTorch evaluates it, with each product rounded explicitly
// so no platform fuses it into an FMA. Trajectories then match the reference to about 1e-7 relative.
//
// A Scheduler is the state of one sampling run: no global state, one value per run. The sampler
// loops of the server (GoMLX) and of the browser (WebGPU) drive it through the same interface:
//
//	s, err := schedule.New("lms", cfg, schedule.LMSOrder(1))
//	err = s.SetTimesteps(50)
//	x := scale(noise, s.InitNoiseSigma())
//	for i, t := range s.Timesteps() {
//		xin, _ := s.ScaleModelInput(x, i)
//		eps := unet(xin, t) // plus classifier-free guidance
//		x, err = s.Step(eps, x, i)
//	}
//
// Sigma(i) gives every sampler's noise level as a k-diffusion sigma. Cones 2's layout guidance
// scales its edit by log(1 + sigma^2) with the sigma of a separate guidance LMS schedule
// (cones/sample.GuidanceSchedule), which equals the run's own only when every step is guided. Renoise implements
// the "self-recurrence" that takes a guided step twice: Step(i), Renoise(i) with a fresh draw,
// then Step(i) again on the same index (see Scheduler for what a repeated index does).
package schedule
