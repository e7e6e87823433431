// Tiled matrix multiply with fused epilogue:
//   C[m,n] = (act(alpha * sum_k A[m,k] * B[n,k] + bias[n]) + R[m,n]) * out_scale
// B is a Linear weight [out, in] (f32, or f16 packed two per u32 and unpacked with
// unpack2x16float) or any strided f32 operand. Every operand has its own offset and strides, so the
// same kernel reads NCHW feature maps as token rows (transformer proj_in/proj_out), multiplies
// attention chunks, and runs batched heads (z = b1 * batch2 + b2). Accumulation is f32.
// Tile: TxT outputs (T = {{T}}: 64, or 32 for narrow problems) per workgroup of T/4 x T/4 threads
// (4x4 outputs each), K in steps of 16 staged in workgroup memory. DIRECT (the variant for CPU
// adapters: SwiftShader, llvmpipe) has the same tiles and threads but no workgroup memory and no
// barrier: each thread reads its four rows of A and four columns of B itself. A CPU adapter runs
// a workgroup's threads a few SIMD lanes at a time and switches between them at every barrier,
// which cost more than the loads the staging saves.
#include "act.wgsl"

struct Params {
  m: u32, n: u32, k: u32, batch1: u32, batch2: u32,
  a_off: u32, a_b1: u32, a_b2: u32, a_m: u32, a_k: u32,
  b_off: u32, b_b1: u32, b_b2: u32, b_n: u32, b_k: u32,
  c_off: u32, c_b1: u32, c_b2: u32, c_m: u32, c_n: u32,
  r_off: u32, r_b1: u32, r_b2: u32, r_m: u32, r_n: u32,
  bias_off: u32, alpha: f32, out_scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
#if B_F16
@group(0) @binding(2) var<storage, read> b: array<u32>;
fn load_b(i: u32) -> f32 {
  let v = unpack2x16float(b[i >> 1u]);
  return select(v.x, v.y, (i & 1u) == 1u);
}
#else
@group(0) @binding(2) var<storage, read> b: array<f32>;
fn load_b(i: u32) -> f32 { return b[i]; }
#endif
#if BIAS
@group(0) @binding({{BIAS_BINDING}}) var<storage, read> bias: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding({{R_BINDING}}) var<storage, read> r: array<f32>;
#endif
@group(0) @binding({{C_BINDING}}) var<storage, read_write> c: array<f32>;

const TM = {{T}}u;
const TN = {{T}}u;
const TK = 16u;
const TH = {{T}}u / 4u; // threads per side, and the stride between a thread's rows/columns
const THREADS = TH * TH;
#if !DIRECT
var<workgroup> at: array<f32, {{T}} * 16>; // [TK][TM]
var<workgroup> bt: array<f32, {{T}} * 16>; // [TK][TN]
#endif

@compute @workgroup_size({{T}} / 4, {{T}} / 4)
fn main(@builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let b1 = wid.z / p.batch2;
  let b2 = wid.z % p.batch2;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let abase = p.a_off + b1 * p.a_b1 + b2 * p.a_b2;
  let bbase = p.b_off + b1 * p.b_b1 + b2 * p.b_b2;
  // Accumulators as four vec4 registers (row i, column j = ci[j]): private arrays indexed in
  // loops end up in memory on some adapters (SwiftShader runs 4-6x slower with them).
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
#if DIRECT
  // Rows and columns past the edge read the last valid one; their sums are never stored.
  let a0 = abase + min(m0 + lid.y, p.m - 1u) * p.a_m;
  let a1 = abase + min(m0 + lid.y + TH, p.m - 1u) * p.a_m;
  let a2 = abase + min(m0 + lid.y + 2u * TH, p.m - 1u) * p.a_m;
  let a3 = abase + min(m0 + lid.y + 3u * TH, p.m - 1u) * p.a_m;
  let q0 = bbase + min(n0 + lid.x, p.n - 1u) * p.b_n;
  let q1 = bbase + min(n0 + lid.x + TH, p.n - 1u) * p.b_n;
  let q2 = bbase + min(n0 + lid.x + 2u * TH, p.n - 1u) * p.b_n;
  let q3 = bbase + min(n0 + lid.x + 3u * TH, p.n - 1u) * p.b_n;
  var k = 0u;
#if B_F16
  // Weight rows that start on a word (even offset and row stride, K contiguous): each u32 holds
  // the B values of two consecutive k, unpacked once for both (unpacking is software on CPU
  // adapters, and load_b does it per value). Same products in the same order.
  if (p.b_k == 1u && (bbase & 1u) == 0u && (p.b_n & 1u) == 0u) {
    for (; k + 2u <= p.k; k += 2u) {
      let u0 = unpack2x16float(b[(q0 + k) >> 1u]);
      let u1 = unpack2x16float(b[(q1 + k) >> 1u]);
      let u2 = unpack2x16float(b[(q2 + k) >> 1u]);
      let u3 = unpack2x16float(b[(q3 + k) >> 1u]);
      let ka = k * p.a_k;
      let av = vec4<f32>(a[a0 + ka], a[a1 + ka], a[a2 + ka], a[a3 + ka]);
      let bv = vec4<f32>(u0.x, u1.x, u2.x, u3.x);
      c0 += av.x * bv;
      c1 += av.y * bv;
      c2 += av.z * bv;
      c3 += av.w * bv;
      let ka1 = ka + p.a_k; // A's offset of k + 1
      let aw = vec4<f32>(a[a0 + ka1], a[a1 + ka1], a[a2 + ka1], a[a3 + ka1]);
      let bw = vec4<f32>(u0.y, u1.y, u2.y, u3.y);
      c0 += aw.x * bw;
      c1 += aw.y * bw;
      c2 += aw.z * bw;
      c3 += aw.w * bw;
    }
  }
#endif
  for (; k < p.k; k++) {
    let ka = k * p.a_k;
    let kb = k * p.b_k;
    let av = vec4<f32>(a[a0 + ka], a[a1 + ka], a[a2 + ka], a[a3 + ka]);
    let bv = vec4<f32>(load_b(q0 + kb), load_b(q1 + kb), load_b(q2 + kb), load_b(q3 + kb));
    c0 += av.x * bv;
    c1 += av.y * bv;
    c2 += av.z * bv;
    c3 += av.w * bv;
  }
#else
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    for (var l = 0u; l < TM * TK / THREADS; l++) {
      let e = li + THREADS * l;
      let kk = e % TK;
      let mm = e / TK;
      let gk = k0 + kk;
      var av = 0.0;
      if (m0 + mm < p.m && gk < p.k) {
        av = a[abase + (m0 + mm) * p.a_m + gk * p.a_k];
      }
      at[kk * TM + mm] = av;
      var bv = 0.0;
      if (n0 + mm < p.n && gk < p.k) {
        bv = load_b(bbase + (n0 + mm) * p.b_n + gk * p.b_k);
      }
      bt[kk * TN + mm] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let ab = kk * TM + lid.y;
      let bb = kk * TN + lid.x;
      let av = vec4<f32>(at[ab], at[ab + TH], at[ab + 2u * TH], at[ab + 3u * TH]);
      let bv = vec4<f32>(bt[bb], bt[bb + TH], bt[bb + 2u * TH], bt[bb + 3u * TH]);
      c0 += av.x * bv;
      c1 += av.y * bv;
      c2 += av.z * bv;
      c3 += av.w * bv;
    }
    workgroupBarrier();
  }
#endif
  let acc = array<vec4<f32>, 4>(c0, c1, c2, c3);
  let cbase = p.c_off + b1 * p.c_b1 + b2 * p.c_b2;
  let rbase = p.r_off + b1 * p.r_b1 + b2 * p.r_b2;
  for (var i = 0u; i < 4u; i++) {
    let gm = m0 + lid.y + TH * i;
    for (var j = 0u; j < 4u; j++) {
      let gn = n0 + lid.x + TH * j;
      if (gm < p.m && gn < p.n) {
        var v = p.alpha * acc[i][j];
#if BIAS
        v += bias[p.bias_off + gn];
#endif
        v = act(v);
#if RESIDUAL
        v += r[rbase + gm * p.r_m + gn * p.r_n];
#endif
        c[cbase + gm * p.c_m + gn * p.c_n] = v * p.out_scale;
      }
    }
  }
}
