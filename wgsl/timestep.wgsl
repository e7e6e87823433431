// Sinusoidal timestep embedding (diffusers get_timestep_embedding):
//   out[b, j] = sin(t_b * freq[j]), out[b, half + j] = cos(t_b * freq[j]), halves swapped when flip.
// t_b = scal[t_idx + b] (written each step); freq is uploaded once, computed in Go in float32 exactly
// as PyTorch does, because WGSL's exp may be several ulp off and t*freq reaches 1000 radians.
// sin/cos use Cody-Waite reduction and minimax polynomials (cephes) for the same reason.

struct Params {
  batch: u32, dim: u32, half: u32, flip: u32, t_idx: u32, out_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;

// sincos returns (sin x, cos x) to about 1e-7 for |x| up to a few thousand.
fn sincos(x: f32) -> vec2<f32> {
  let ax = abs(x);
  var j = u32(ax * 1.27323954473516); // 4/pi
  j += j & 1u;
  let y = f32(j);
  let z = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let zz = z * z;
  let s = ((-1.9515295891e-4 * zz + 8.3321608736e-3) * zz - 1.6666654611e-1) * zz * z + z;
  let c = ((2.443315711809948e-5 * zz - 1.388731625493765e-3) * zz + 4.166664568298827e-2) * zz * zz - 0.5 * zz + 1.0;
  let oct = (j >> 1u) & 3u; // quadrant
  var sv = s;
  var cv = c;
  if (oct == 1u) { sv = c; cv = -s; }
  if (oct == 2u) { sv = -s; cv = -c; }
  if (oct == 3u) { sv = -c; cv = s; }
  return vec2<f32>(select(sv, -sv, x < 0.0), cv);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.batch * p.dim) { return; }
  let b = i / p.dim;
  let j = i % p.dim;
  var v = 0.0;
  var jj = j;
  var want_cos = false;
  if (jj < 2u * p.half) {
    if (jj >= p.half) {
      jj -= p.half;
      want_cos = true;
    }
    if (p.flip == 1u) { want_cos = !want_cos; }
    let sc = sincos(scal[p.t_idx + b] * freq[jj]);
    v = select(sc.x, sc.y, want_cos);
  }
  o[p.out_off + i] = v;
}
