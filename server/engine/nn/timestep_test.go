package nn

import (
	"math"
	"testing"
)

// Oracles from diffusers' own test (tests/models/test_layers_utils.py, quoted in the fixtures'
// external/weightless_cases.md): timesteps 0..127, dim 64, emb[23:26, 47:50].
func TestTimestepEmbeddingDiffusersCases(t *testing.T) {
	ts := make([]float32, 128)
	for i := range ts {
		ts[i] = float32(i)
	}
	cases := []struct {
		name  string
		shift float64
		flip  bool
		want  []float32
	}{
		{"shift=1", 1, false, []float32{0.9646, 0.9804, 0.9892, 0.9615, 0.9787, 0.9882, 0.9582, 0.9769, 0.9872}},
		{"shift=0,flip", 0, true, []float32{0.3019, 0.2280, 0.1716, 0.3146, 0.2377, 0.1790, 0.3272, 0.2474, 0.1864}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			emb := TimestepEmbedding(ts, 64, c.flip, c.shift)
			k := 0
			for row := 23; row < 26; row++ {
				for col := 47; col < 50; col++ {
					got := emb[row*64+col]
					if math.Abs(float64(got-c.want[k])) > 1e-3*math.Abs(float64(c.want[k])) {
						t.Errorf("emb[%d,%d] = %v, want %v", row, col, got, c.want[k])
					}
					k++
				}
			}
		})
	}
}

// Values computed with diffusers for SD's setting (dim 320, shift 0, flip) at t=981, and the
// documented shape of row 0 (cosines 1, sines 0).
func TestTimestepEmbeddingSD(t *testing.T) {
	emb := TimestepEmbedding([]float32{981, 0}, 320, true, 0)
	want := map[int]float32{0: 0.6799572, 1: -0.7984292, 2: 0.578114, 3: -0.67470044,
		160: 0.7332518, 161: 0.6020887, 162: 0.815956, 163: 0.73809165}
	for i, w := range want {
		if math.Abs(float64(emb[i]-w)) > 2e-6 {
			t.Errorf("t=981 emb[%d] = %v, want %v", i, emb[i], w)
		}
	}
	for i := 0; i < 320; i++ {
		want := float32(0)
		if i < 160 {
			want = 1
		}
		if emb[320+i] != want {
			t.Fatalf("t=0 emb[%d] = %v, want %v", i, emb[320+i], want)
		}
	}
	if got := len(TimestepEmbedding([]float32{1, 2}, 7, true, 0)); got != 14 {
		t.Fatalf("odd dim: %d values, want 14", got)
	}
}
