// Tiled matrix multiply with fused epilogue:
//   C[m,n] = (act(alpha * sum_k A[m,k] * B[n,k] + bias[n]) + R[m,n]) * out_scale
// B is a Linear weight [out, in] (weight.wgsl: f32; f16 packed two per u32 and unpacked with
// unpack2x16float; or, with W_HALF, WGSL's own f16 where the device has shader-f16) or any
// strided f32 operand.
// Every operand has its own offset and strides, so the same kernel reads NCHW feature maps as
// token rows (transformer proj_in/proj_out), multiplies attention chunks, and runs batched heads
// (z = b1 * batch2 + b2). Accumulation is f32.
// Tile: TxT outputs (T = {{T}}: 64, or 32 for narrow problems) per workgroup of T/4 x T/4 threads
// (4x4 outputs each); the tiled product is gemm.wgsl, shared with conv2d.wgsl. DIRECT (the
// variant for CPU adapters: SwiftShader, llvmpipe) has the same tiles and threads but no
// workgroup memory and no barrier: each thread reads its four rows of A and four columns of B
// itself. A CPU adapter runs
// a workgroup's threads a few SIMD lanes at a time and switches between them at every barrier,
// which cost more than the loads the staging saves. VEC4 (operands whose rows are aligned runs
// of four along K, wgsl.MatMulVec4Fits) binds A and B as vec4s: the tiled kernel stages a vec4
// per load, the direct one keeps an 8x8 block per thread (workgroups of T/8 x T/8): llvmpipe
// loads storage lane by lane, so four values per load and twice the block quarter the loads per
// product.
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
// VEC4 (wgsl.MatMulVec4Fits): A and B bound as runs of four K, indices in vec4s (B through
// load_w4). The tiled kernel stages them a vec4 per load; the DIRECT one (CPU adapters) keeps an
// 8x8 block per thread.
#if VEC4
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
#endif
#include "weight.wgsl"
#if BIAS
@group(0) @binding({{BIAS_BINDING}}) var<storage, read> bias: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding({{R_BINDING}}) var<storage, read> r: array<f32>;
#endif
@group(0) @binding({{C_BINDING}}) var<storage, read_write> c: array<f32>;

#include "gemm.wgsl"

// emit stores one output, nothing past the edge:
// C[gm, gn] = (act(alpha * s + bias) + R) * out_scale.
fn emit(cbase: u32, rbase: u32, gm: u32, gn: u32, s: f32) {
  if (gm >= p.m || gn >= p.n) { return; }
  var v = p.alpha * s;
#if BIAS
  v += bias[p.bias_off + gn];
#endif
  v = act(v);
#if RESIDUAL
  v += r[rbase + gm * p.r_m + gn * p.r_n];
#endif
  c[cbase + gm * p.c_m + gn * p.c_n] = v * p.out_scale;
}

#if !DIRECT
var<private> abase: u32;
var<private> bbase: u32;
var<private> m0: u32;
var<private> n0: u32;

#if VEC4
// stage fills tile buffer s with K columns k0.. of A (rows m0..) and B (rows n0..), a vec4 (four
// K columns, f16: two words) per load: rows are K-contiguous runs of whole vec4s
// (MatMulVec4Fits), so a vec4 is inside K whenever its first column is. Consecutive threads walk
// K, as below.
fn stage(s: u32, k0: u32, li: u32) {
  for (var l = 0u; l < TM * TK / 4u / THREADS; l++) {
    let e = li + THREADS * l;
    let kk = 4u * (e % (TK / 4u));
    let mm = e / (TK / 4u);
    let gk = k0 + kk;
    var v = vec4<f32>();
    if (m0 + mm < p.m && gk < p.k) {
      v = a[(abase + (m0 + mm) * p.a_m + gk) / 4u];
    }
    put_a4(s, kk, mm, v);
  }
  for (var l = 0u; l < TN * TK / 4u / THREADS; l++) {
    let e = li + THREADS * l;
    let kk = 4u * (e % (TK / 4u));
    let nn = e / (TK / 4u);
    let gk = k0 + kk;
    var v = vec4<f32>();
    if (n0 + nn < p.n && gk < p.k) {
      v = load_w4((bbase + (n0 + nn) * p.b_n + gk) / 4u);
    }
    put_b4(s, kk, nn, v);
  }
}
#else
// stage fills tile buffer s with K columns k0.. of A (rows m0..) and B (rows n0..).
fn stage(s: u32, k0: u32, li: u32) {
  if (p.a_m == 1u) {
    // A is an NCHW map read as token rows (rows are pixels, contiguous): consecutive threads
    // walk M, so that both the load and the tile store touch neighbouring words
    for (var l = 0u; l < TM * TK / THREADS; l++) {
      let e = li + THREADS * l;
      let mm = e % TM;
      let kk = e / TM;
      let gk = k0 + kk;
      var av = 0.0;
      if (m0 + mm < p.m && gk < p.k) {
        av = a[abase + m0 + mm + gk * p.a_k];
      }
      put_a(s, kk, mm, av);
    }
  } else {
    for (var l = 0u; l < TM * TK / THREADS; l++) {
      // consecutive threads walk K (contiguous in token rows)
      let e = li + THREADS * l;
      let kk = e % TK;
      let mm = e / TK;
      let gk = k0 + kk;
      var av = 0.0;
      if (m0 + mm < p.m && gk < p.k) {
        av = a[abase + (m0 + mm) * p.a_m + gk * p.a_k];
      }
      put_a(s, kk, mm, av);
    }
  }
#if W_WORDS
  if (p.b_k == 1u && (bbase & 1u) == 0u && (p.b_n & 1u) == 0u) {
    // K-contiguous weight rows that start on a word: each thread reads whole words (two K
    // columns) and unpacks each once, where the per-element path reads every word twice.
    for (var l = 0u; l < TN * TK / 2u / THREADS; l++) {
      let e = li + THREADS * l;
      let kk = 2u * (e % (TK / 2u));
      let nn = e / (TK / 2u);
      let gk = k0 + kk;
      var v = vec2<f32>();
      if (n0 + nn < p.n && gk < p.k) {
        v = unpack2x16float(b[(bbase + (n0 + nn) * p.b_n + gk) >> 1u]);
        // an odd K: the word's high half is the next row's first column
        if (gk + 1u >= p.k) { v.y = 0.0; }
      }
      put_b2(s, kk, nn, v);
    }
    return;
  }
#endif
  for (var l = 0u; l < TN * TK / THREADS; l++) {
    let e = li + THREADS * l;
    let kk = e % TK;
    let nn = e / TK;
    let gk = k0 + kk;
    var bv = 0.0;
    if (n0 + nn < p.n && gk < p.k) {
      bv = load_w(bbase + (n0 + nn) * p.b_n + gk * p.b_k);
    }
    put_b(s, kk, nn, bv);
  }
}
#endif
#endif

@compute @workgroup_size({{WG}}, {{WG}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let b1 = wid.z / p.batch2;
  let b2 = wid.z % p.batch2;
  let cbase = p.c_off + b1 * p.c_b1 + b2 * p.c_b2;
  let rbase = p.r_off + b1 * p.r_b1 + b2 * p.r_b2;
#if VEC4_DIRECT
  // Each thread: rows m0 + {{WG}}*i and columns n0 + {{WG}}*j (i, j < 8); rows and columns past
  // the edge read the last valid one and are not stored. All offsets and strides are in vec4s.
  let m0 = wid.y * TM + lid.y;
  let n0 = wid.x * TN + lid.x;
  let k4 = p.k / 4u;
  let am = p.a_m / 4u;
  let bn = p.b_n / 4u;
  let abase = (p.a_off + b1 * p.a_b1 + b2 * p.a_b2) / 4u;
  let bbase = (p.b_off + b1 * p.b_b1 + b2 * p.b_b2) / 4u;
{{VEC4_BLOCK}}
#else
#if DIRECT
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let abase = p.a_off + b1 * p.a_b1 + b2 * p.a_b2;
  let bbase = p.b_off + b1 * p.b_b1 + b2 * p.b_b2;
  // Accumulators as four vec4 registers (row i, column j = ci[j]), as in gemm.wgsl.
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
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
#if W_WORDS
  // Weight rows that start on a word (even offset and row stride, K contiguous): each u32 holds
  // the B values of two consecutive k, unpacked once for both (unpacking is software on CPU
  // adapters, and load_w does it per value). Same products in the same order.
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
    let bv = vec4<f32>(load_w(q0 + kb), load_w(q1 + kb), load_w(q2 + kb), load_w(q3 + kb));
    c0 += av.x * bv;
    c1 += av.y * bv;
    c2 += av.z * bv;
    c3 += av.w * bv;
  }
  let acc = array<vec4<f32>, 4>(c0, c1, c2, c3);
#else
  m0 = wid.y * TM;
  n0 = wid.x * TN;
  abase = p.a_off + b1 * p.a_b1 + b2 * p.a_b2;
  bbase = p.b_off + b1 * p.b_b1 + b2 * p.b_b2;
  let acc = gemm(lid, li, p.k);
#endif
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      emit(cbase, rbase, m0 + lid.y + TH * i, n0 + lid.x + TH * j, acc[i][j]);
    }
  }
#endif
}
