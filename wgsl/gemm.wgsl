// The GEMM fragment shared by matmul.wgsl and the implicit-GEMM conv2d.wgsl: one TM x TN tile of
// sum_k A[m,k]·B[n,k] (TM = TN = T = {{T}}: 64, or 32 for narrow problems) per workgroup of
// TH x TH threads, each owning rows lid.y + TH*i and columns lid.x + TH*j (i, j < 4), K in steps
// of TK = 16. Accumulation is f32, in four vec4 registers (private arrays indexed in loops end up
// in memory on some adapters: SwiftShader runs 4-6x slower with them).
//
// The tiles are double-buffered in workgroup memory: the next K-tile is staged while this one is
// multiplied, so a K step costs one barrier instead of two. They stay scalar arrays laid out so
// that neighbouring invocations read neighbouring words (B: lid.x) or the same word (A: lid.y):
// SwiftShader runs four invocations as the lanes of one SIMD vector and loads such addresses with
// one instruction, while a vec4 per invocation (lanes 16 bytes apart) costs it four scalar loads
// per component; an earlier vec4-tile version of this core was slower there for that reason.
// (SwiftShader no longer runs this core: CPU adapters get the DIRECT kernels, see wgsl.ForCPU.)
//
// The including kernel defines fn stage(s: u32, k0: u32, li: u32), which fills buffer s with K
// columns k0..k0+TK-1 through put_a/put_a2 (M side) and put_b/put_b2 (N side), zero outside the
// problem, and calls gemm with a K that is uniform (the barriers are inside the loop).
//
// With DIRECT (the variants for CPU adapters) only the tile's shape is shared: those kernels have
// the same workgroups and thread blocks but read their operands themselves, without workgroup
// memory or barriers (see matmul.wgsl).

const TM = {{T}}u;
const TN = {{T}}u;
const TK = 16u;
const TH = {{T}}u / 4u; // threads per side, and the stride between a thread's rows/columns
const THREADS = TH * TH;
#if !DIRECT
var<workgroup> at: array<f32, 2 * 16 * {{T}}>; // [2][TK][TM]
var<workgroup> bt: array<f32, 2 * 16 * {{T}}>; // [2][TK][TN]

fn put_a(s: u32, kk: u32, mm: u32, v: f32) { at[(s * TK + kk) * TM + mm] = v; }
fn put_b(s: u32, kk: u32, nn: u32, v: f32) { bt[(s * TK + kk) * TN + nn] = v; }
// put_a2 and put_b2 store K columns kk and kk + 1 (one f16 word, unpacked once).
fn put_a2(s: u32, kk: u32, mm: u32, v: vec2<f32>) {
  let i = (s * TK + kk) * TM + mm;
  at[i] = v.x;
  at[i + TM] = v.y;
}
fn put_b2(s: u32, kk: u32, nn: u32, v: vec2<f32>) {
  let i = (s * TK + kk) * TN + nn;
  bt[i] = v.x;
  bt[i + TN] = v.y;
}
// put_a4 and put_b4 store K columns kk..kk + 3 (one vec4 load of a K-contiguous row).
fn put_a4(s: u32, kk: u32, mm: u32, v: vec4<f32>) {
  let i = (s * TK + kk) * TM + mm;
  at[i] = v.x;
  at[i + TM] = v.y;
  at[i + 2u * TM] = v.z;
  at[i + 3u * TM] = v.w;
}
fn put_b4(s: u32, kk: u32, nn: u32, v: vec4<f32>) {
  let i = (s * TK + kk) * TN + nn;
  bt[i] = v.x;
  bt[i + TN] = v.y;
  bt[i + 2u * TN] = v.z;
  bt[i + 3u * TN] = v.w;
}

// gemm returns the thread's 4x4 block: element [i][j] is row lid.y + TH*i, column lid.x + TH*j
// of the workgroup's tile.
fn gemm(lid: vec3<u32>, li: u32, kdim: u32) -> array<vec4<f32>, 4> {
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
  stage(0u, 0u, li);
  workgroupBarrier();
  var s = 0u;
  for (var k0 = 0u; k0 < kdim; k0 += TK) {
    if (k0 + TK < kdim) {
      stage(s ^ 1u, k0 + TK, li);
    }
    let ab = s * TK * TM + lid.y;
    let bb = s * TK * TN + lid.x;
    for (var kk = 0u; kk < TK; kk++) {
      let ai = ab + kk * TM;
      let bi = bb + kk * TN;
      let av = vec4<f32>(at[ai], at[ai + TH], at[ai + 2u * TH], at[ai + 3u * TH]);
      let bv = vec4<f32>(bt[bi], bt[bi + TH], bt[bi + 2u * TH], bt[bi + 3u * TH]);
      c0 += av.x * bv;
      c1 += av.y * bv;
      c2 += av.z * bv;
      c3 += av.w * bv;
    }
    // One barrier: buffer s is read by every thread before anyone stages into it again (next
    // step's stage writes s ^ 1 ^ 1 = s only after this barrier).
    workgroupBarrier();
    s ^= 1u;
  }
  return array<vec4<f32>, 4>(c0, c1, c2, c3);
}
#endif
