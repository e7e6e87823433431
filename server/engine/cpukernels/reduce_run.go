package cpukernels

// The innermost step of a reduction: one contiguous run of the operand folded into one
// accumulator. A run added one element after another is one chain of dependent additions
// (four cycles each), which made the reductions of training (softmax, group norm, bias
// gradients) a tenth of its time; eight interleaved lanes keep the adder busy instead.

// lanes is how many partial sums a long run is split into: one 8-float vector.
const lanes = 8

// minLaneRun is the shortest run summed in lanes; shorter ones are added in order.
const minLaneRun = 2 * lanes

// sumRun returns acc plus the sum of run. A run of minLaneRun or more is summed in lanes: lane
// j adds the elements j, j+8, j+16, ... in order, and the lanes are combined as
// ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)). The order depends only on the run's length, so the
// bits do not depend on the build (vector or portable) nor on the number of goroutines.
func sumRun(acc float32, run []float32) float32 {
	if len(run) < minLaneRun {
		for _, v := range run {
			acc += v
		}
		return acc
	}
	var l [lanes]float32
	done := sumLanesVec(run, &l)
	for i := done; i < len(run); i++ {
		l[i%lanes] += run[i]
	}
	return acc + (((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
}

// sumLanes is sumLanesVec's portable form: the whole vectors of run added into l lane by lane.
func sumLanes(run []float32, l *[lanes]float32) int {
	n := len(run) &^ (lanes - 1)
	for i := 0; i < n; i += lanes {
		v := run[i : i+lanes : i+lanes]
		l[0] += v[0]
		l[1] += v[1]
		l[2] += v[2]
		l[3] += v[3]
		l[4] += v[4]
		l[5] += v[5]
		l[6] += v[6]
		l[7] += v[7]
	}
	return n
}

// maxRun returns the largest of acc and run's elements, with Go's max (NaN wins, +0 above -0),
// which does not depend on order: interleaving is free here.
func maxRun(acc float32, run []float32) float32 {
	m0, m1, m2, m3 := acc, acc, acc, acc
	i := 0
	for ; i+4 <= len(run); i += 4 {
		v := run[i : i+4 : i+4]
		m0, m1, m2, m3 = max(m0, v[0]), max(m1, v[1]), max(m2, v[2]), max(m3, v[3])
	}
	for ; i < len(run); i++ {
		m0 = max(m0, run[i])
	}
	return max(max(m0, m1), max(m2, m3))
}

// fill sets every element of out to x.
func fill(out []float32, x float32) {
	for i := fillVec(out, x); i < len(out); i++ {
		out[i] = x
	}
}
