// Layer normalisation over the last dimension of row-major [rows, c] (torch.nn.LayerNorm), mean
// and variance in two passes. Two layouts: ROW_PER_THREAD (narrow rows: 64 rows per workgroup, no
// barriers) or one workgroup of {{WG}} threads per row.
#if !ROW_PER_THREAD
#include "reduce.wgsl"
#endif

struct Params {
  rows: u32, c: u32, in_off: u32, out_off: u32,
  gamma_off: u32, beta_off: u32, eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

#if ROW_PER_THREAD
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= p.rows) { return; }
  let ib = p.in_off + row * p.c;
  let ob = p.out_off + row * p.c;
  var s = 0.0;
  for (var i = 0u; i < p.c; i++) {
    s += src[ib + i];
  }
  let mean = s / f32(p.c);
  var q = 0.0;
  for (var i = 0u; i < p.c; i++) {
    let d = src[ib + i] - mean;
    q += d * d;
  }
  let rstd = 1.0 / sqrt(q / f32(p.c) + p.eps);
  for (var i = 0u; i < p.c; i++) {
    dst[ob + i] = (src[ib + i] - mean) * rstd * gamma[p.gamma_off + i] + beta[p.beta_off + i];
  }
}
#else
@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  // Rows past the end still take part in the barriers of wg_sum; they only skip the writes.
  let live = row < p.rows;
  let ib = p.in_off + select(0u, row, live) * p.c;
  let ob = p.out_off + row * p.c;
  var s = 0.0;
  for (var i = li; i < p.c; i += {{WG}}u) {
    s += src[ib + i];
  }
  let mean = wg_sum(li, s) / f32(p.c);
  var q = 0.0;
  for (var i = li; i < p.c; i += {{WG}}u) {
    let d = src[ib + i] - mean;
    q += d * d;
  }
  let rstd = 1.0 / sqrt(wg_sum(li, q) / f32(p.c) + p.eps);
  if (!live) { return; }
  for (var i = li; i < p.c; i += {{WG}}u) {
    dst[ob + i] = (src[ib + i] - mean) * rstd * gamma[p.gamma_off + i] + beta[p.beta_off + i];
  }
}
#endif
