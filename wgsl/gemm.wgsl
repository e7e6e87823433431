// The GEMM core shared by matmul.wgsl and the implicit-GEMM conv2d.wgsl: one TM x TN tile of
// the product (TM = TN = T = {{T}}: 64, or 32 for narrow problems) per workgroup of TH x TH
// threads, each owning the 4x4 block of rows 4*lid.y.. and columns 4*lid.x.., K in steps of
// TK = 16. The tiles live in workgroup memory K-major as vec4 (one vec4 load per operand per k
// step) and are double-buffered: the next K-tile is staged while this one is multiplied, with
// one barrier per step. Accumulation is f32, in four vec4 registers (private arrays indexed in
// loops end up in memory on some adapters: SwiftShader runs 4-6x slower with them).
//
// The including kernel defines fn stage(s, k0, li, m0, n0), which fills buffer s of the tiles
// with K columns k0..k0+TK through put_a (M side) and put_b (N side), zero outside the problem.

const TM = {{T}}u;
const TN = {{T}}u;
const TK = 16u;
const TH = {{T}}u / 4u; // threads per side
const THREADS = TH * TH;
var<workgroup> at: array<vec4<f32>, {{T}} * 8>; // [2][TK][TM/4]
var<workgroup> bt: array<vec4<f32>, {{T}} * 8>; // [2][TK][TN/4]

fn put_a(s: u32, kk: u32, mm: u32, v: f32) { at[(s * TK + kk) * (TM / 4u) + mm / 4u][mm % 4u] = v; }
fn put_b(s: u32, kk: u32, nn: u32, v: f32) { bt[(s * TK + kk) * (TN / 4u) + nn / 4u][nn % 4u] = v; }

// unpack_f16 returns the two halves of a packed f16 word (the low one first): each word of an
// f16 operand is read and unpacked once.
fn unpack_f16(w: u32) -> vec2<f32> { return unpack2x16float(w); }

// gemm returns the thread's 4x4 block of sum_k A[m,k]·B[n,k]: element [i][j] is row
// m0 + 4*lid.y + i, column n0 + 4*lid.x + j.
fn gemm(lid: vec3<u32>, li: u32, m0: u32, n0: u32, kdim: u32) -> array<vec4<f32>, 4> {
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
  stage(0u, 0u, li, m0, n0);
  workgroupBarrier();
  var s = 0u;
  for (var k0 = 0u; k0 < kdim; k0 += TK) {
    if (k0 + TK < kdim) {
      stage(s ^ 1u, k0 + TK, li, m0, n0);
    }
    let ab = s * TK * (TM / 4u) + lid.y;
    let bb = s * TK * (TN / 4u) + lid.x;
    for (var kk = 0u; kk < TK; kk++) {
      let av = at[ab + kk * (TM / 4u)];
      let bv = bt[bb + kk * (TN / 4u)];
      c0 += av.x * bv;
      c1 += av.y * bv;
      c2 += av.z * bv;
      c3 += av.w * bv;
    }
    workgroupBarrier();
    s ^= 1u;
  }
  return array<vec4<f32>, 4>(c0, c1, c2, c3);
}
