// Unbiased standard deviation of one attention layer's raw scores Q·Kᵀ over all heads, queries and
// keys of sample `batch` (the statistic the Cones 2 edit scales by). Two variants:
// - partial (FINAL false): one workgroup per (64 queries, head) computes its scores' count, mean and
//   M2 (Welford per thread, Chan's merge across threads) into part[3*i ..];
// - final: one workgroup merges the n_part partials and writes std to scal[std_idx].
// Mean/M2 merging keeps f32 accurate where sum-of-squares would cancel.

struct Params {
  heads: u32, tq: u32, tk: u32, dh: u32,
  q_off: u32, q_b: u32, q_t: u32,
  k_off: u32, k_b: u32, k_t: u32,
  batch: u32, n_part: u32, std_idx: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if FINAL
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> scal: array<f32>;
const WG = 256u;
#else
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
const WG = 64u;
#endif

var<workgroup> wn: array<f32, WG>;
var<workgroup> wmean: array<f32, WG>;
var<workgroup> wm2: array<f32, WG>;

// merge folds statistics (nb, mb, m2b) into slot i.
fn merge(i: u32, nb: f32, mb: f32, m2b: f32) {
  let na = wn[i];
  let n = na + nb;
  if (nb == 0.0) { return; }
  let delta = mb - wmean[i];
  wmean[i] = wmean[i] + delta * (nb / n);
  wm2[i] = wm2[i] + m2b + delta * delta * (na * nb / n);
  wn[i] = n;
}

fn tree(li: u32) {
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (li < s) {
      merge(li, wn[li + s], wmean[li + s], wm2[li + s]);
    }
  }
  workgroupBarrier();
}

#if FINAL
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  wn[li] = 0.0;
  wmean[li] = 0.0;
  wm2[li] = 0.0;
  for (var i = li; i < p.n_part; i += WG) {
    merge(li, part[3u * i], part[3u * i + 1u], part[3u * i + 2u]);
  }
  tree(li);
  if (li == 0u) {
    scal[p.std_idx] = sqrt(wm2[0] / (wn[0] - 1.0));
  }
}
#else
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let h = wid.y;
  let qi = wid.x * WG + li;
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  if (qi < p.tq) {
    let qb = p.q_off + p.batch * p.q_b + qi * p.q_t + h * p.dh;
    let kb = p.k_off + p.batch * p.k_b + h * p.dh;
    for (var j = 0u; j < p.tk; j++) {
      var s = 0.0;
      for (var d = 0u; d < p.dh; d++) {
        s += q[qb + d] * k[kb + j * p.k_t + d];
      }
      n += 1.0;
      let delta = s - mean;
      mean += delta / n;
      m2 += delta * (s - mean);
    }
  }
  wn[li] = n;
  wmean[li] = mean;
  wm2[li] = m2;
  tree(li);
  if (li == 0u) {
    let slot = wid.x + wid.y * nwg.x;
    part[3u * slot] = wn[0];
    part[3u * slot + 1u] = wmean[0];
    part[3u * slot + 2u] = wm2[0];
  }
}
#endif
