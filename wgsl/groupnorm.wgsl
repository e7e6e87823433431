// Group normalisation of NCHW maps (torch.nn.GroupNorm: biased variance, per-channel affine),
// with SiLU fused when SILU (the norm -> act pairs of ResnetBlock2D and conv_norm_out). Mean and
// variance in two passes for accuracy. Two layouts: GROUP_PER_THREAD (small groups: one thread
// per (group, sample), no barriers, which CPU adapters run far faster) or one workgroup of
// {{WG}} threads per (group, sample).
#include "common.wgsl"
#if !GROUP_PER_THREAD
#include "reduce.wgsl"
#endif

struct Params {
  c: u32, hw: u32, groups: u32, batch: u32,
  in_off: u32, in_b: u32, out_off: u32, out_b: u32,
  gamma_off: u32, beta_off: u32, eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

fn normalize(g: u32, ib: u32, ob: u32, i: u32, mean: f32, rstd: f32) {
  let ch = g * (p.c / p.groups) + i / p.hw;
  var y = (src[ib + i] - mean) * rstd * gamma[p.gamma_off + ch] + beta[p.beta_off + ch];
#if SILU
  y = silu(y);
#endif
  dst[ob + i] = y;
}

#if GROUP_PER_THREAD
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.groups * p.batch) { return; }
  let g = gid.x % p.groups;
  let b = gid.x / p.groups;
  let n = (p.c / p.groups) * p.hw;
  let ib = p.in_off + b * p.in_b + g * n;
  let ob = p.out_off + b * p.out_b + g * n;
  var s = 0.0;
  for (var i = 0u; i < n; i++) {
    s += src[ib + i];
  }
  let mean = s / f32(n);
  var q = 0.0;
  for (var i = 0u; i < n; i++) {
    let d = src[ib + i] - mean;
    q += d * d;
  }
  let rstd = 1.0 / sqrt(q / f32(n) + p.eps);
  for (var i = 0u; i < n; i++) {
    normalize(g, ib, ob, i, mean, rstd);
  }
}
#else
@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = wid.x;
  let b = wid.y;
  let n = (p.c / p.groups) * p.hw;
  let ib = p.in_off + b * p.in_b + g * n;
  let ob = p.out_off + b * p.out_b + g * n;
  var s = 0.0;
  for (var i = li; i < n; i += {{WG}}u) {
    s += src[ib + i];
  }
  let mean = wg_sum(li, s) / f32(n);
  var q = 0.0;
  for (var i = li; i < n; i += {{WG}}u) {
    let d = src[ib + i] - mean;
    q += d * d;
  }
  let rstd = 1.0 / sqrt(wg_sum(li, q) / f32(n) + p.eps);
  for (var i = li; i < n; i += {{WG}}u) {
    normalize(g, ib, ob, i, mean, rstd);
  }
}
#endif
