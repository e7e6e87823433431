// Workgroup sum over the {{WG}} threads of a workgroup (tree in workgroup memory); every thread
// gets the total. Small workgroups keep barrier rounds few (they are costly on CPU adapters).
var<workgroup> red: array<f32, {{WG}}>;

fn wg_sum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      red[li] += red[li + s];
    }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
