package noise

import (
	"errors"
	"math"
	"testing"
)

// Known-answer vectors of Philox4x32-10 published with the Random123 library (kat_vectors).
func TestPhiloxKnownAnswers(t *testing.T) {
	cases := []struct {
		name string
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{"zero", [4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{"ones", [4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{"pi", [4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := philox(c.ctr, c.key); got != c.want {
				t.Fatalf("philox(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
			}
		})
	}
}

// The first numbers of seed 1234, as bits. They pin the stream: the browser and every platform
// must produce exactly these (run this test with GOOS=js GOARCH=wasm to check the wasm build).
func TestGeneratorGolden(t *testing.T) {
	want := []uint32{0xbe4c2241, 0x400156c7, 0x3f7764dc, 0xbe0ef7bb, 0x3ef993e6, 0xbfcc1016, 0xbf4839da, 0x3e867235}
	got := make([]float32, len(want))
	if err := New(1234).Normal(got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != want[i] {
			t.Errorf("number %d = %v (%#08x), want %v (%#08x)", i, got[i], math.Float32bits(got[i]),
				math.Float32frombits(want[i]), want[i])
		}
	}
}

func TestGeneratorChunksAndSeek(t *testing.T) {
	whole := make([]float32, 101)
	if err := New(7).Normal(whole); err != nil {
		t.Fatal(err)
	}
	g := New(7)
	var parts []float32
	for _, n := range []int{1, 3, 0, 50, 47} {
		p := make([]float32, n)
		if err := g.Normal(p); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p...)
	}
	for i := range whole {
		if whole[i] != parts[i] {
			t.Fatalf("number %d: chunked %v, whole %v", i, parts[i], whole[i])
		}
	}
	if g.Position() != 101 {
		t.Fatalf("position %d, want 101", g.Position())
	}
	g.Seek(33)
	one := make([]float32, 1)
	_ = g.Normal(one)
	if one[0] != whole[33] || g.At(10) != whole[10] {
		t.Fatalf("seek/At disagree with the stream")
	}
	if New(8).At(0) == whole[0] {
		t.Fatalf("seeds 7 and 8 start with the same number")
	}
}

// The draws must look standard normal: moments and a coarse histogram against the normal CDF.
// The seed is fixed, so the test is deterministic; the bounds are ~5 standard errors.
func TestGeneratorDistribution(t *testing.T) {
	const n = 400000
	x := make([]float32, n)
	_ = New(99).Normal(x)
	var m1, m2, m3, m4 float64
	edges := []float64{-2, -1, -0.5, 0, 0.5, 1, 2}
	counts := make([]int, len(edges)+1)
	for _, v := range x {
		f := float64(v)
		m1 += f
		m2 += f * f
		m3 += f * f * f
		m4 += f * f * f * f
		b := 0
		for b < len(edges) && f >= edges[b] {
			b++
		}
		counts[b]++
	}
	m1, m2, m3, m4 = m1/n, m2/n, m3/n, m4/n
	check := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.5f, want %.5f ± %.5f", name, got, want, tol)
		}
	}
	check("mean", m1, 0, 5/math.Sqrt(n))
	check("variance", m2, 1, 5*math.Sqrt(2.0/n))
	check("third moment", m3, 0, 5*math.Sqrt(15.0/n))
	check("fourth moment", m4, 3, 5*math.Sqrt(96.0/n))
	cdf := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	for b := range counts {
		lo, hi := math.Inf(-1), math.Inf(1)
		if b > 0 {
			lo = edges[b-1]
		}
		if b < len(edges) {
			hi = edges[b]
		}
		p := cdf(hi) - cdf(lo)
		check("share in bin", float64(counts[b])/n, p, 5*math.Sqrt(p*(1-p)/n))
	}
}

func TestLogAndSinCosAccuracy(t *testing.T) {
	g := New(3)
	for i := 0; i < 20000; i++ {
		u := float64(g.At(uint64(i)))                  // any spread of values
		x := math.Abs(u)*1e-3 + math.Ldexp(1, -(i%60)) // from 2^-59 to ~1
		if d := math.Abs(logDet(x) - math.Log(x)); d > 1e-15*math.Max(1, math.Abs(math.Log(x))) {
			t.Fatalf("log(%g) = %.17g, want %.17g", x, logDet(x), math.Log(x))
		}
		turn := float64(i) / 20000
		s, c := sinCosTurn(turn)
		if math.Abs(s-math.Sin(2*math.Pi*turn)) > 1e-15 || math.Abs(c-math.Cos(2*math.Pi*turn)) > 1e-15 {
			t.Fatalf("sincos(%g turns) = %g, %g; want %g, %g", turn, s, c, math.Sin(2*math.Pi*turn), math.Cos(2*math.Pi*turn))
		}
	}
	if logDet(1) != 0 {
		t.Fatalf("log(1) = %g", logDet(1))
	}
}

func TestReplay(t *testing.T) {
	r := NewReplay([]float32{1, 2}, []float32{3})
	a := make([]float32, 2)
	if err := r.Normal(a); err != nil || a[0] != 1 || a[1] != 2 {
		t.Fatalf("first draw: %v %v", a, err)
	}
	if err := r.Normal(a); err == nil || errors.Is(err, ErrExhausted) {
		t.Fatalf("length mismatch: got %v, want a length error", err)
	}
	b := make([]float32, 1)
	if err := r.Normal(b); err != nil || b[0] != 3 || r.Used() != 2 || r.Remaining() != 0 {
		t.Fatalf("second draw: %v %v", b, err)
	}
	if err := r.Normal(b); !errors.Is(err, ErrExhausted) {
		t.Fatalf("exhausted replay: got %v, want ErrExhausted", err)
	}
}
