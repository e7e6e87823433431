// Multi-head attention O = softmax(scale * Q·Kᵀ [+ Cones 2 edit]) · V with online softmax: keys
// and values stream through workgroup memory KT at a time and each thread keeps its query's running
// max, denominator and output row, so the Tq x Tk score matrix is never stored (self-attention at
// 64x64 latents would need 4096² floats per head).
// Element d of head h of token t of sample b of X is at x_off + b*x_b + t*x_t + h*dh + d.
// CAUSAL masks keys after the query (CLIP's text encoder).
// EDIT is the Cones 2 layout guidance on the raw scores of sample edit_batch (the conditional
// half of the CFG batch): raw += scal[coef_idx] * scal[std_idx] * W[q, k], where W is the layout
// weight map on this layer's query grid ([tq, tk] at w_off, row stride w_q), scal[coef_idx] is
// guidance_weight * log(1 + sigma²) for this step and scal[std_idx] the unbiased std of this layer's
// raw scores (scorestats.wgsl). Scaling comes after the edit, as in the official code.
// UNROLLED (the variant for CPU adapters, heads up to 64 wide) compiles the head width in and
// generates the per-vec4 statements (the placeholders below, from attention.go), so that no row or score
// lives in an indexed private array; it rescales per four keys instead of per tile, which sums in
// another order than the tiled loop (within the same tolerance of the reference).

struct Params {
  heads: u32, tq: u32, tk: u32, dh: u32,
  q_off: u32, q_b: u32, q_t: u32,
  k_off: u32, k_b: u32, k_t: u32,
  v_off: u32, v_b: u32, v_t: u32,
  o_off: u32, o_b: u32, o_t: u32,
  scale: f32, batch: u32,
  w_off: u32, w_q: u32, edit_batch: u32, coef_idx: u32, std_idx: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
#if EDIT
@group(0) @binding(4) var<storage, read> wmap: array<f32>;
@group(0) @binding(5) var<storage, read> scal: array<f32>;
#endif
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> o: array<f32>;

const DMAX = {{DMAX}}u;
const D4 = {{DMAX}}u / 4u; // rows are held as vec4s: indexed private arrays of scalars are slow
const KT = {{KT}}u;
const WG = 64u;
var<workgroup> ks: array<vec4<f32>, {{KT}} * {{DMAX}} / 4>;
var<workgroup> vs: array<vec4<f32>, {{KT}} * {{DMAX}} / 4>;

fn load4(src: u32, which: u32) -> vec4<f32> {
  if (which == 0u) {
    return vec4<f32>(k[src], k[src + 1u], k[src + 2u], k[src + 3u]);
  }
  return vec4<f32>(v[src], v[src + 1u], v[src + 2u], v[src + 3u]);
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.z / p.heads;
  let h = wid.z % p.heads;
  let qi = wid.x * WG + li;
  let live = qi < p.tq;
  let dh4 = p.dh / 4u;
  let qb = p.q_off + b * p.q_b + select(0u, qi, live) * p.q_t + h * p.dh;
#if UNROLLED
  // The head width is compiled in ({{DH4}} vec4s): the query row q0.. and the output row a0.. are
  // named registers, not indexed arrays (which CPU adapters keep in memory).
{{Q_ROW}}
#else
  var qr: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  for (var d = 0u; d < dh4; d++) {
    let i = qb + 4u * d;
    qr[d] = vec4<f32>(q[i], q[i + 1u], q[i + 2u], q[i + 3u]);
  }
#endif
#if EDIT
  var coef = 0.0;
  if (b == p.edit_batch) {
    coef = scal[p.coef_idx] * scal[p.std_idx];
  }
#endif
  var m = -3.0e38;
  var l = 0.0;
  let kb = p.k_off + b * p.k_b + h * p.dh;
  let vb = p.v_off + b * p.v_b + h * p.dh;
  for (var k0 = 0u; k0 < p.tk; k0 += KT) {
    let cnt = min(KT, p.tk - k0);
    for (var e = li; e < cnt * dh4; e += WG) {
      let j = e / dh4;
      let d = e % dh4;
      ks[j * D4 + d] = load4(kb + (k0 + j) * p.k_t + 4u * d, 0u);
      vs[j * D4 + d] = load4(vb + (k0 + j) * p.v_t + 4u * d, 1u);
    }
    workgroupBarrier();
    var n = cnt;
#if CAUSAL
    if (qi < k0) { n = 0u; } else { n = min(cnt, qi + 1u - k0); }
#endif
#if UNROLLED
    // Four keys at a time, their scores in one vec4 (no indexed array of scores): the running
    // max and the rescaling step per four keys instead of per tile.
    var j = 0u;
    for (; j + 4u <= n; j += 4u) {
      let r0 = j * D4;
      let r1 = r0 + D4;
      let r2 = r1 + D4;
      let r3 = r2 + D4;
      var s4 = vec4<f32>({{DOT_R0}}, {{DOT_R1}}, {{DOT_R2}}, {{DOT_R3}});
#if EDIT
      let wq = p.w_off + select(0u, qi, live) * p.w_q + k0 + j;
      s4 += coef * vec4<f32>(wmap[wq], wmap[wq + 1u], wmap[wq + 2u], wmap[wq + 3u]);
#endif
      s4 *= p.scale;
      let mt = max(m, max(max(s4.x, s4.y), max(s4.z, s4.w)));
      let corr = exp(m - mt);
      let e4 = exp(s4 - mt);
      l = l * corr + (e4.x + e4.y) + (e4.z + e4.w);
{{ACC4}}
      m = mt;
    }
    for (; j < n; j++) {
      let r0 = j * D4;
      var sc = {{DOT_R0}};
#if EDIT
      sc += coef * wmap[p.w_off + select(0u, qi, live) * p.w_q + k0 + j];
#endif
      sc *= p.scale;
      let mt = max(m, sc);
      let corr = exp(m - mt);
      let e = exp(sc - mt);
      l = l * corr + e;
{{ACC1}}
      m = mt;
    }
#else
    var s: array<f32, KT>;
    var mt = m;
    for (var j = 0u; j < n; j++) {
      var dot4 = vec4<f32>();
      for (var d = 0u; d < dh4; d++) {
        dot4 += qr[d] * ks[j * D4 + d];
      }
      var sc = dot4.x + dot4.y + dot4.z + dot4.w;
#if EDIT
      sc += coef * wmap[p.w_off + select(0u, qi, live) * p.w_q + k0 + j];
#endif
      s[j] = sc * p.scale;
      mt = max(mt, s[j]);
    }
    if (n > 0u) {
      let corr = exp(m - mt);
      l *= corr;
      for (var d = 0u; d < dh4; d++) {
        acc[d] *= corr;
      }
      for (var j = 0u; j < n; j++) {
        let e = exp(s[j] - mt);
        l += e;
        for (var d = 0u; d < dh4; d++) {
          acc[d] += e * vs[j * D4 + d];
        }
      }
      m = mt;
    }
#endif
    workgroupBarrier();
  }
  if (live) {
    let ob = p.o_off + b * p.o_b + qi * p.o_t + h * p.dh;
    let inv = 1.0 / l;
#if UNROLLED
{{STORE}}
#else
    for (var d = 0u; d < dh4; d++) {
      let r = acc[d] * inv;
      o[ob + 4u * d] = r.x;
      o[ob + 4u * d + 1u] = r.y;
      o[ob + 4u * d + 2u] = r.z;
      o[ob + 4u * d + 3u] = r.w;
    }
#endif
  }
}
