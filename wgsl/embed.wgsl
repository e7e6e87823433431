// CLIP text embeddings: out[r, :] = token[ids[r], :] + position[r % t, :] for rows r of [batch*t].

struct Params {
  rows: u32, t: u32, d: u32, vocab: u32, ids_off: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
#if HALF
@group(0) @binding(2) var<storage, read> tok: array<f16>;
@group(0) @binding(3) var<storage, read> pos: array<f16>;
fn load_tok(i: u32) -> f32 { return f32(tok[i]); }
fn load_pos(i: u32) -> f32 { return f32(pos[i]); }
#else
#if F16
@group(0) @binding(2) var<storage, read> tok: array<u32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
// (no pointer parameters: naga, in Firefox and wgpu, does not take storage pointers as arguments)
fn half(w: u32, i: u32) -> f32 {
  let v = unpack2x16float(w);
  return select(v.x, v.y, (i & 1u) == 1u);
}
fn load_tok(i: u32) -> f32 { return half(tok[i >> 1u], i); }
fn load_pos(i: u32) -> f32 { return half(pos[i >> 1u], i); }
#else
@group(0) @binding(2) var<storage, read> tok: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<f32>;
fn load_tok(i: u32) -> f32 { return tok[i]; }
fn load_pos(i: u32) -> f32 { return pos[i]; }
#endif
#endif
@group(0) @binding(4) var<storage, read_write> o: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.rows * p.d) { return; }
  let r = i / p.d;
  let j = i % p.d;
  let id = min(ids[p.ids_off + r], p.vocab - 1u);
  o[p.out_off + i] = load_tok(id * p.d + j) + load_pos((r % p.t) * p.d + j);
}
