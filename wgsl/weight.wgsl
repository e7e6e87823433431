// The operand at binding 2 that may be float16, named {{W}}: a weight (matmul's B, conv2d's
// filters) or, in matmul, any f32 operand. W_HALF: WGSL's own f16 (the device has shader-f16);
// W_F16: f16 packed two per u32 and unpacked with unpack2x16float; else f32. load_w(i) reads
// value i; with VEC4, load_w4(i) reads values 4i..4i+3 (the rows are runs of whole vec4s; f16:
// two words). Included by matmul.wgsl and conv2d.wgsl.
#if VEC4
#if W_HALF
@group(0) @binding(2) var<storage, read> {{W}}: array<vec4<f16>>;
fn load_w4(i: u32) -> vec4<f32> { return vec4<f32>({{W}}[i]); }
#else
#if W_F16
@group(0) @binding(2) var<storage, read> {{W}}: array<vec2<u32>>;
fn load_w4(i: u32) -> vec4<f32> {
  let w = {{W}}[i];
  return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}
#else
@group(0) @binding(2) var<storage, read> {{W}}: array<vec4<f32>>;
fn load_w4(i: u32) -> vec4<f32> { return {{W}}[i]; }
#endif
#endif
#else
#if W_HALF
@group(0) @binding(2) var<storage, read> {{W}}: array<f16>;
fn load_w(i: u32) -> f32 { return f32({{W}}[i]); }
#else
#if W_F16
@group(0) @binding(2) var<storage, read> {{W}}: array<u32>;
fn load_w(i: u32) -> f32 {
  let v = unpack2x16float({{W}}[i >> 1u]);
  return select(v.x, v.y, (i & 1u) == 1u);
}
#else
@group(0) @binding(2) var<storage, read> {{W}}: array<f32>;
fn load_w(i: u32) -> f32 { return {{W}}[i]; }
#endif
#endif
#endif
