// Accumulates one decoded VAE tile [c, th, tw] into the image [c, h, w] at (y0, x0), weighted by
// linear ramps over the rows/columns it shares with its neighbours (ramp_t/b/l/r pixels), so the
// weights of overlapping tiles sum to one. The image starts cleared.

struct Params {
  c: u32, th: u32, tw: u32, h: u32, w: u32, y0: u32, x0: u32,
  ramp_t: u32, ramp_b: u32, ramp_l: u32, ramp_r: u32, tile_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tile: array<f32>;
@group(0) @binding(2) var<storage, read_write> img: array<f32>;

fn ramp(i: u32, n: u32, lo: u32, hi: u32) -> f32 {
  if (i < lo) { return (f32(i) + 0.5) / f32(lo); }
  if (i + hi >= n) { return (f32(n - i) - 0.5) / f32(hi); }
  return 1.0;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let plane = p.th * p.tw;
  if (i >= p.c * plane) { return; }
  let ch = i / plane;
  let y = (i % plane) / p.tw;
  let x = i % p.tw;
  let wgt = ramp(y, p.th, p.ramp_t, p.ramp_b) * ramp(x, p.tw, p.ramp_l, p.ramp_r);
  let o = p.out_off + ch * p.h * p.w + (p.y0 + y) * p.w + p.x0 + x;
  img[o] = img[o] + wgt * tile[p.tile_off + i];
}
