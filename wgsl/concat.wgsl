// Copies src [batch, cs, hw] into channels [c_at, c_at+cs) of dst [batch, cd, hw]: the skip
// concatenation torch.cat([h, skip], dim=1) of the UNet's up blocks, one dispatch per input.

struct Params {
  n: u32, cs_hw: u32, cd_hw: u32, src_off: u32, dst_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let b = i / p.cs_hw;
  dst[p.dst_off + b * p.cd_hw + i % p.cs_hw] = src[p.src_off + i];
}
