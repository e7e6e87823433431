// 2-D convolution as implicit GEMM over NCHW feature maps:
//   out[b,co,oy,ox] = (sum_{ci,ky,kx} W[co,ci,ky,kx] * in[b,ci,iy,ix] + bias[co] + bias2[b,co] + R[b,co,oy,ox]) * out_scale
// with iy = oy*stride + ky - pad_t, ix = ox*stride + kx - pad_l, zero outside the input. The
// im2col matrix is never built: each K-tile of input columns is gathered into workgroup memory.
// Asymmetric padding (the VAE encoder's (0,1,0,1)) is pad_t/pad_l plus the output size; UPSAMPLE
// reads the input through a nearest 2x upsampling (diffusers Upsample2D) without materialising it.
// bias2 is the per-sample time-embedding projection a ResnetBlock2D adds after conv1.
// GEMM view: M = Cout (weights), N = OH*OW (pixels), K = Cin*KH*KW, multiplied by gemm.wgsl
// (shared with matmul.wgsl; T = {{T}}: 64, or 32 with 64 threads, which CPU adapters run
// faster). DIRECT (for CPU adapters, as in matmul.wgsl) keeps the tiles but no workgroup memory
// and no barrier: each thread reads its four weight rows and gathers its four pixels' inputs
// itself: window positions outside, channels inside, so the inner loop has no division and no
// branch. That sums K in another order than the tiled kernel (within the same tolerance of the
// reference). VEC4 with DIRECT (a same-size 3x3 over rows a multiple of 4 wide and input
// channels a multiple of 4: Conv2DVec4Fits) reads the input as vec4s of four pixels of a row (the
// vec4 and its neighbours' edge values serve the three kernel columns, shifted in registers) and
// the weights four K per load; each thread sums {{CO}} channels x {{ROWS}} rows x 4 pixels. VEC4
// tiled (GPUs) stages the weight tiles a vec4 per load.

struct Params {
  cin: u32, h: u32, w: u32, cout: u32, oh: u32, ow: u32,
  kh: u32, kw: u32, stride: u32, pad_t: u32, pad_l: u32,
  in_off: u32, in_b: u32, out_off: u32, out_b: u32, w_off: u32,
  bias_off: u32, bias2_off: u32, bias2_b: u32, r_off: u32, r_b: u32,
  out_scale: f32, batch: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if VEC4_DIRECT
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> src: array<f32>;
#endif
// VEC4: weight rows read four K at a time (load_w4): by the direct kernel's threads, or (tiled,
// wgsl.ForGPU) by the staging of the weight tiles.
#include "weight.wgsl"
@group(0) @binding(3) var<storage, read> bias: array<f32>;
#if BIAS2
@group(0) @binding(4) var<storage, read> bias2: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding({{R_BINDING}}) var<storage, read> r: array<f32>;
#endif
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> dst: array<f32>;

#include "gemm.wgsl"

// emit stores one output: (s + bias + bias2 + R) * out_scale, nothing past the edge.
fn emit(b: u32, co: u32, gn: u32, s: f32) {
  let pix = p.oh * p.ow;
  if (co >= p.cout || gn >= pix) { return; }
  var v = s + bias[p.bias_off + co];
#if BIAS2
  v += bias2[p.bias2_off + b * p.bias2_b + co];
#endif
#if RESIDUAL
  v += r[p.r_off + b * p.r_b + co * pix + gn];
#endif
  dst[p.out_off + b * p.out_b + co * pix + gn] = v * p.out_scale;
}

#if VEC4_DIRECT
// VEC4 and DIRECT (wgsl.Conv2DVec4Fits): the input is read in vec4s of four pixels of a row. A
// Row is one input row at the thread's vec4 column: where that vec4 and its neighbours start (in
// vec4s, channel 0), and whether each lies inside the input (1) or in the zero padding (0).
struct Row { at: u32, before: u32, after: u32, keep: f32, prev: f32, next: f32 }

var<private> base4: u32; // the sample's input, in vec4s

fn input_row(iy: i32, col: u32) -> Row {
  let w4 = p.w / 4u;
  let keep = select(0.0, 1.0, iy >= 0 && iy < i32(p.h));
  let at = base4 + u32(clamp(iy, 0, i32(p.h) - 1)) * w4 + col;
  let left = col > 0u;
  let right = col + 1u < w4;
  return Row(at, select(at, at - 1u, left), select(at, at + 1u, right), keep,
             keep * select(0.0, 1.0, left), keep * select(0.0, 1.0, right));
}

// emit4 stores four outputs n..n+3 of channel co (one row; nothing past the edge).
fn emit4(b: u32, co: u32, n: u32, v: vec4<f32>) {
  if (n >= p.oh * p.ow) { return; }
  emit(b, co, n, v.x);
  emit(b, co, n + 1u, v.y);
  emit(b, co, n + 2u, v.z);
  emit(b, co, n + 3u, v.w);
}
#endif

#if !DIRECT
var<private> ibase: u32;
var<private> kdim: u32;
var<private> kwin: u32;
var<private> npix: u32;
var<private> ih: u32;
var<private> iw: u32;
var<private> m0: u32;
var<private> n0: u32;
var<private> px_ok: bool; // the thread's input pixel n0 + li % TN is inside the output
var<private> iy0: i32;    // its top-left input position before the kernel offset
var<private> ix0: i32;

// stage fills tile buffer s with K columns k0.. of the weights (rows m0.. = output channels) and
// of the gathered input (pixels n0..).
fn stage(s: u32, k0: u32, li: u32) {
#if VEC4
  // weight rows are runs of whole vec4s (kdim and w_off multiples of 4, wgsl.ForGPU): a vec4
  // per load, inside K whenever its first column is
  for (var l = 0u; l < TM * TK / 4u / THREADS; l++) {
    let e = li + THREADS * l;
    let kk = 4u * (e % (TK / 4u));
    let mm = e / (TK / 4u);
    let gk = k0 + kk;
    var v = vec4<f32>();
    if (m0 + mm < p.cout && gk < kdim) {
      v = load_w4((p.w_off + (m0 + mm) * kdim + gk) / 4u);
    }
    put_a4(s, kk, mm, v);
  }
#else
#if W_WORDS
  if ((p.w_off & 1u) == 0u && (kdim & 1u) == 0u) {
    // weight rows that start on a word: each thread reads whole words (two K columns) and
    // unpacks each once, where the per-element path reads every word twice
    for (var l = 0u; l < TM * TK / 2u / THREADS; l++) {
      let e = li + THREADS * l;
      let kk = 2u * (e % (TK / 2u));
      let mm = e / (TK / 2u);
      let gk = k0 + kk;
      var v = vec2<f32>();
      if (m0 + mm < p.cout && gk < kdim) {
        v = unpack2x16float(wt[(p.w_off + (m0 + mm) * kdim + gk) >> 1u]);
      }
      put_a2(s, kk, mm, v);
    }
  } else {
#endif
  for (var l = 0u; l < TM * TK / THREADS; l++) {
    // weights: consecutive threads walk K (rows of W are contiguous)
    let e = li + THREADS * l;
    let kk = e % TK;
    let mm = e / TK;
    let gk = k0 + kk;
    var wv = 0.0;
    if (m0 + mm < p.cout && gk < kdim) {
      wv = load_w(p.w_off + (m0 + mm) * kdim + gk);
    }
    put_a(s, kk, mm, wv);
  }
#if W_WORDS
  }
#endif
#endif
  for (var l = 0u; l < TN * TK / THREADS; l++) {
    // input: consecutive threads walk pixels (contiguous in a row of the map). A thread's pixel
    // nn = e % TN = li % TN is the same in every K step (THREADS is a multiple of TN), so main
    // computes its position once (px_ok, iy0, ix0): integer division runs lane by lane on CPU
    // adapters, and a 1x1 kernel needs none.
    let e = li + THREADS * l;
    let nn = e % TN;
    let kb = e / TN;
    let gkb = k0 + kb;
    var xv = 0.0;
    if (px_ok && gkb < kdim) {
      var ci = gkb;
      var ky = 0u;
      var kx = 0u;
      if (kwin != 1u) {
        ci = gkb / kwin;
        let rem = gkb - ci * kwin;
        ky = rem / p.kw;
        kx = rem - ky * p.kw;
      }
      let iy = iy0 + i32(ky);
      let ix = ix0 + i32(kx);
      if (iy >= 0 && ix >= 0 && u32(iy) < ih && u32(ix) < iw) {
#if UPSAMPLE
        let sy = u32(iy) / 2u;
        let sx = u32(ix) / 2u;
#else
        let sy = u32(iy);
        let sx = u32(ix);
#endif
        xv = src[ibase + (ci * p.h + sy) * p.w + sx];
      }
    }
    put_b(s, kb, nn, xv);
  }
}
#endif

@compute @workgroup_size({{WG_X}}, {{WG_Y}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32,
        @builtin(workgroup_id) wid: vec3<u32>) {
#if VEC4_DIRECT
  // Thread t: sample b, channels co0.. ({{CO}}), output rows oy0.. ({{ROWS}}), pixels
  // 4*col..4*col+3 of each (the vec4 column fastest); threads past the last one compute the last
  // one's block and store nothing. The input plane and the weights are addressed in vec4s.
  let w4 = p.w / 4u;
  let rb = (p.oh + {{ROWS}}u - 1u) / {{ROWS}}u;
  let per_b = ((p.cout + {{CO}}u - 1u) / {{CO}}u) * rb * w4;
  let total = per_b * p.batch;
  let t0 = wid.x * {{WG_X}}u + li;
  let live = t0 < total;
  let t = min(t0, total - 1u);
  let b = t / per_b;
  let rest = t % per_b;
  let co0 = (rest / (rb * w4)) * {{CO}}u;
  let oy0 = ((rest / w4) % rb) * {{ROWS}}u;
  let col = rest % w4;
  let kdim = p.cin * 9u;
  let plane4 = p.h * w4;
  base4 = (p.in_off + b * p.in_b) / 4u;
{{VEC4_BLOCK}}
#else
  let b = wid.z;
#if DIRECT
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let kwin = p.kh * p.kw;
  let kdim = p.cin * kwin;
  let npix = p.oh * p.ow;
#if UPSAMPLE
  let ih = 2u * p.h;
  let iw = 2u * p.w;
#else
  let ih = p.h;
  let iw = p.w;
#endif
  let ibase = p.in_off + b * p.in_b;
  // Accumulators as four vec4 registers (row i, column j = ci[j]), as in gemm.wgsl.
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
  // Weight rows past cout read the last one; pixels past npix read nothing; neither is stored.
  let w0 = p.w_off + min(m0 + lid.y, p.cout - 1u) * kdim;
  let w1 = p.w_off + min(m0 + lid.y + TH, p.cout - 1u) * kdim;
  let w2 = p.w_off + min(m0 + lid.y + 2u * TH, p.cout - 1u) * kdim;
  let w3 = p.w_off + min(m0 + lid.y + 3u * TH, p.cout - 1u) * kdim;
  let g = vec4<u32>(n0 + lid.x, n0 + lid.x + TH, n0 + lid.x + 2u * TH, n0 + lid.x + 3u * TH);
  let ok = g < vec4<u32>(npix);
  let y0 = vec4<i32>((g / p.ow) * p.stride) - i32(p.pad_t);
  let x0 = vec4<i32>((g % p.ow) * p.stride) - i32(p.pad_l);
  let plane = p.h * p.w;
  // The window position outside, the channels inside: which pixels read the input, and where,
  // does not depend on the channel, so the inner loop has no branch (a pixel outside the input
  // reads offset 0 and is multiplied by 0).
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = y0 + i32(ky);
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = x0 + i32(kx);
      let inside = ok & (iy >= vec4<i32>(0)) & (ix >= vec4<i32>(0)) & (vec4<u32>(iy) < vec4<u32>(ih)) & (vec4<u32>(ix) < vec4<u32>(iw));
#if UPSAMPLE
      let pos = (vec4<u32>(iy) / 2u) * p.w + vec4<u32>(ix) / 2u;
#else
      let pos = vec4<u32>(iy) * p.w + vec4<u32>(ix);
#endif
      let off = select(vec4<u32>(0u), pos, inside) + vec4<u32>(ibase);
      let keep = select(vec4<f32>(0.0), vec4<f32>(1.0), inside);
      var kidx = ky * p.kw + kx;
      for (var ci = 0u; ci < p.cin; ci++) {
        let cb = ci * plane;
        let av = vec4<f32>(load_w(w0 + kidx), load_w(w1 + kidx), load_w(w2 + kidx), load_w(w3 + kidx));
        let bv = keep * vec4<f32>(src[off.x + cb], src[off.y + cb], src[off.z + cb], src[off.w + cb]);
        c0 += av.x * bv;
        c1 += av.y * bv;
        c2 += av.z * bv;
        c3 += av.w * bv;
        kidx += kwin;
      }
    }
  }
  let acc = array<vec4<f32>, 4>(c0, c1, c2, c3);
#else
  m0 = wid.y * TM;
  n0 = wid.x * TN;
  kwin = p.kh * p.kw;
  kdim = p.cin * kwin;
  npix = p.oh * p.ow;
#if UPSAMPLE
  ih = 2u * p.h;
  iw = 2u * p.w;
#else
  ih = p.h;
  iw = p.w;
#endif
  ibase = p.in_off + b * p.in_b;
  let gn = n0 + li % TN;
  px_ok = gn < npix;
  let oy = gn / p.ow;
  iy0 = i32(oy * p.stride) - i32(p.pad_t);
  ix0 = i32((gn - oy * p.ow) * p.stride) - i32(p.pad_l);
  // K as an expression of uniforms (a private variable is not uniform to WGSL's analysis, and
  // gemm's loop holds the barriers)
  let acc = gemm(lid, li, p.cin * p.kh * p.kw);
#endif
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      emit(b, m0 + lid.y + TH * i, n0 + lid.x + TH * j, acc[i][j]);
    }
  }
#endif
}
