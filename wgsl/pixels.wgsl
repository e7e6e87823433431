// Decoder output [3, h, w] in [-1, 1] to packed RGBA8 pixels (what the page shows and the tests
// compare): round(clamp(x / 2 + 0.5, 0, 1) * 255) per channel, alpha 255, as diffusers' numpy_to_pil.

struct Params {
  hw: u32, in_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> o: array<u32>;

fn level(x: f32) -> u32 {
  return u32(round(clamp(x / 2.0 + 0.5, 0.0, 1.0) * 255.0));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.hw) { return; }
  let r = level(src[p.in_off + i]);
  let g = level(src[p.in_off + p.hw + i]);
  let b = level(src[p.in_off + 2u * p.hw + i]);
  o[p.out_off + i] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
