// act applies the compiled-in activation ({{ACT}}: 0 none, 1 gelu, 2 quick_gelu, 3 silu).
#include "common.wgsl"
fn act(x: f32) -> f32 {
  let kind = {{ACT}}u;
  if (kind == 1u) { return gelu(x); }
  if (kind == 2u) { return quick_gelu(x); }
  if (kind == 3u) { return silu(x); }
  return x;
}
