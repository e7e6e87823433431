// Row softmax in place over row-major [rows, cols] (after a matmul produced scaled scores): the
// chunked attention path for heads too wide for attention.wgsl (the VAE's single 512-wide head).
#include "reduce.wgsl"

struct Params {
  rows: u32, cols: u32, off: u32, row_stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

var<workgroup> redmax: array<f32, 256>;

fn wg_max(li: u32, v: f32) -> f32 {
  redmax[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) {
      redmax[li] = max(redmax[li], redmax[li + s]);
    }
    workgroupBarrier();
  }
  let m = redmax[0];
  workgroupBarrier();
  return m;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  let live = row < p.rows;
  let base = p.off + select(0u, row, live) * p.row_stride;
  var m = -3.0e38;
  for (var i = li; i < p.cols; i += 256u) {
    m = max(m, x[base + i]);
  }
  m = wg_max(li, m);
  var s = 0.0;
  for (var i = li; i < p.cols; i += 256u) {
    s += exp(x[base + i] - m);
  }
  let inv = 1.0 / wg_sum(li, s);
  if (!live) { return; }
  for (var i = li; i < p.cols; i += 256u) {
    x[base + i] = exp(x[base + i] - m) * inv;
  }
}
