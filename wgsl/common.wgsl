// Shared functions: activations with the accuracy PyTorch's float32 ones have.

// erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26); WGSL has no erf builtin.
fn erf_approx(x: f32) -> f32 {
  let ax = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let y = 1.0 - poly * exp(-ax * ax);
  return select(y, -y, x < 0.0);
}

// gelu is the exact (erf) GELU of torch.nn.functional.gelu and CLIP's "gelu".
fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));
}

// quick_gelu is CLIP's x * sigmoid(1.702 x) (SD 1.x text encoders).
fn quick_gelu(x: f32) -> f32 {
  return x / (1.0 + exp(-1.702 * x));
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}
