package layout

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// torchGolden is testdata/torch_grids.json (see torch_grids.py next to it).
type torchGolden struct {
	Generator string `json:"generator"`
	Cases     []struct {
		Name     string  `json:"name"`
		H        int     `json:"h"`
		W        int     `json:"w"`
		Negative float64 `json:"negative"`
		Subjects []struct {
			Word      string       `json:"word"`
			Weight    float64      `json:"weight"`
			Positions []int        `json:"positions"`
			Boxes     [][4]float64 `json:"boxes"`
		} `json:"subjects"`
		Grids []struct {
			QueryLen int                 `json:"query_len"`
			Columns  map[string][]uint32 `json:"columns"`
		} `json:"grids"`
	} `json:"cases"`
}

// TestGridsMatchTorch compares Grid bit for bit with PyTorch 1.13.1 running the official
// resizes, on both of the official paths, square and non-square, with nearest resampling,
// shared token columns and a zero weight.
func TestGridsMatchTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/torch_grids.json")
	if err != nil {
		t.Fatal(err)
	}
	var g torchGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		l := &Layout{Negative: c.Negative}
		var pos [][]int
		for _, s := range c.Subjects {
			sub := Subject{Word: s.Word, Weight: s.Weight}
			for _, b := range s.Boxes {
				sub.Boxes = append(sub.Boxes, Box{X0: b[0], Y0: b[1], X1: b[2], Y1: b[3]})
			}
			l.Subjects = append(l.Subjects, sub)
			pos = append(pos, s.Positions)
		}
		wt, err := l.Build(c.H, c.W, pos)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, want := range c.Grids {
			t.Run(fmt.Sprintf("%s/L=%d", c.Name, want.QueryLen), func(t *testing.T) {
				got, err := wt.Grid(want.QueryLen)
				if err != nil {
					t.Fatal(err)
				}
				checkGrid(t, got, want.QueryLen, want.Columns)
			})
		}
	}
}

func checkGrid(t *testing.T, got *Grid, n int, cols map[string][]uint32) {
	t.Helper()
	if got.QueryLen != n || len(got.Data) != n*ContextLen {
		t.Fatalf("grid has %d queries and %d values, want %d", got.QueryLen, len(got.Data), n*ContextLen)
	}
	for c := range ContextLen {
		want := cols[strconv.Itoa(c)]
		for q := range n {
			v := got.Data[q*ContextLen+c]
			if want == nil {
				if v != 0 {
					t.Fatalf("query %d token %d: got %g, want 0", q, c, v)
				}
				continue
			}
			if math.Float32bits(v) != want[q] {
				t.Fatalf("query %d token %d: got %.9g, want %.9g", q, c, v, math.Float32frombits(want[q]))
			}
		}
	}
}

// directBilinear is the textbook align_corners=True bilinear resize in float64: output pixel o
// samples the input at o*(in-1)/(out-1).
func directBilinear(src []float64, ih, iw, oh, ow int) []float64 {
	pos := func(o, in, out int) (int, int, float64) {
		if out == 1 {
			return 0, 0, 0
		}
		x := float64(o) * float64(in-1) / float64(out-1)
		i := min(int(math.Floor(x)), in-1)
		return i, min(i+1, in-1), x - float64(i)
	}
	out := make([]float64, oh*ow)
	for y := range oh {
		y0, y1, fy := pos(y, ih, oh)
		for x := range ow {
			x0, x1, fx := pos(x, iw, ow)
			top := src[y0*iw+x0]*(1-fx) + src[y0*iw+x1]*fx
			bot := src[y1*iw+x0]*(1-fx) + src[y1*iw+x1]*fx
			out[y*ow+x] = top*(1-fy) + bot*fy
		}
	}
	return out
}

func TestBilinearHandComputed(t *testing.T) {
	for _, order := range []sumOrder{sumScalar, sumVector} {
		// 2x2 -> 3x3: the middle samples are exact averages.
		got := bilinearPlane([]float32{0, 1, 2, 3}, 2, 2, 3, 3, order)
		want := []float32{0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}
		if !slices.Equal(got, want) {
			t.Errorf("order %d: 2x2->3x3 got %v, want %v", order, got, want)
		}
		// 3x5 -> 2x3: align_corners keeps the corners and samples columns 0, 2, 4.
		src := []float32{1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500}
		got = bilinearPlane(src, 3, 5, 2, 3, order)
		want = []float32{1, 3, 5, 100, 300, 500}
		if !slices.Equal(got, want) {
			t.Errorf("order %d: 3x5->2x3 got %v, want %v", order, got, want)
		}
		// 4x1 -> 3x1: rows at 0, 1.5, 3.
		got = bilinearPlane([]float32{0, 4, 8, 16}, 4, 1, 3, 1, order)
		want = []float32{0, 6, 16}
		if !slices.Equal(got, want) {
			t.Errorf("order %d: 4x1->3x1 got %v, want %v", order, got, want)
		}
		// Any size -> 1x1 takes the top-left pixel (scale 0).
		got = bilinearPlane([]float32{7, 1, 1, 1, 1, 1}, 2, 3, 1, 1, order)
		if !slices.Equal(got, []float32{7}) {
			t.Errorf("order %d: 2x3->1x1 got %v, want [7]", order, got)
		}
	}
}

func TestBilinearAgainstDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][4]int{{5, 7, 3, 2}, {13, 11, 5, 5}, {16, 16, 4, 4}, {9, 4, 9, 4}, {3, 3, 7, 7}, {40, 24, 10, 6}} {
		ih, iw, oh, ow := sz[0], sz[1], sz[2], sz[3]
		src32 := make([]float32, ih*iw)
		src64 := make([]float64, ih*iw)
		for i := range src32 {
			src32[i] = float32(rng.NormFloat64())
			src64[i] = float64(src32[i])
		}
		want := directBilinear(src64, ih, iw, oh, ow)
		for _, order := range []sumOrder{sumScalar, sumVector} {
			got := bilinearPlane(src32, ih, iw, oh, ow, order)
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("%dx%d->%dx%d order %d: pixel %d got %g, want %g", ih, iw, oh, ow, order, i, got[i], want[i])
				}
			}
		}
	}
}

func TestNearestIndex(t *testing.T) {
	cases := []struct {
		in, out int
		want    []int
	}{
		{6, 6, []int{0, 1, 2, 3, 4, 5}},
		{3, 6, []int{0, 0, 1, 1, 2, 2}},
		{6, 7, []int{0, 0, 1, 2, 3, 4, 5}}, // floor(o*6/7)
		{4, 5, []int{0, 0, 1, 2, 3}},
		{25, 30, nil},
	}
	for _, c := range cases {
		var got []int
		for o := range c.out {
			got = append(got, nearestIndex(o, c.in, c.out))
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%d->%d: got %v, want %v", c.in, c.out, got, c.want)
		}
		for _, i := range got {
			if i < 0 || i >= c.in {
				t.Errorf("%d->%d: index %d out of range", c.in, c.out, i)
			}
		}
	}
}

// TestFMA32 checks fma32 against exact rounding, including the case where rounding the
// float64 sum to float32 would round twice the wrong way.
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	// c = 1+2^-23, a*b = 2^-24 - 2^-70: just below the midpoint 1+2^-23+2^-24.
	a := float32(1 + 1.0/(1<<23))
	b := float32(math.Ldexp(1-math.Ldexp(1, -23), -24))
	c := float32(1 + 1.0/(1<<23))
	if got, want := fma32(a, b, c), exact(a, b, c); got != want || got != c {
		t.Fatalf("halfway case: got %.10g, want %.10g", got, want)
	}
	if naive := float32(float64(a)*float64(b) + float64(c)); naive == c {
		t.Fatal("the halfway case no longer exercises double rounding")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		a := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(60)-30)))
		b := float32(rng.NormFloat64())
		c := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(60)-30)))
		if got, want := fma32(a, b, c), exact(a, b, c); got != want {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
	}
}

func TestGridEdgeCases(t *testing.T) {
	l := &Layout{Negative: DefaultNegative, Subjects: []Subject{
		{Word: "dog", Weight: DefaultWeight, Boxes: []Box{{0, 0, 0.5, 0.5}}},
	}}
	wt, err := l.Build(4, 2, [][]int{{1}})
	if err != nil {
		t.Fatal(err)
	}
	// Non-square 4x2 to 2 queries: ratio 2, a 2x1 grid sampling rows 0 and 3 of column 0.
	g, err := wt.Grid(2)
	if err != nil {
		t.Fatal(err)
	}
	if got := []float32{g.Data[1], g.Data[ContextLen+1]}; !slices.Equal(got, []float32{2.5, -1e8}) {
		t.Errorf("4x2 -> 2: got %v, want [2.5 -1e8]", got)
	}
	// 1x1 grid of a square image: the top-left pixel.
	wt2, err := l.Build(8, 8, [][]int{{1}})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := wt2.Grid(1); err != nil || g.Data[1] != 2.5 || g.Data[0] != 0 {
		t.Errorf("1x1 grid: %v %v", g, err)
	}
	// The same grid length as the image: the identity.
	g, err = wt.Grid(8)
	if err != nil {
		t.Fatal(err)
	}
	orig := wt.Orig()
	if !slices.Equal(g.Data, orig) {
		t.Errorf("identity resize changed the map")
	}
	for _, bad := range []int{0, -1, 9} {
		if _, err := wt.Grid(bad); err == nil {
			t.Errorf("query length %d accepted", bad)
		}
	}
	// 4x2 to 1 query: floor(2/sqrt(8)) = 0 columns, which PyTorch refuses as well.
	if _, err := wt.Grid(1); err == nil {
		t.Error("a grid with no column accepted")
	}
}

func TestGridsDeduplicates(t *testing.T) {
	l := &Layout{Negative: DefaultNegative, Subjects: []Subject{
		{Word: "dog", Weight: DefaultWeight, Boxes: []Box{{0.25, 0.25, 0.75, 0.75}}},
	}}
	wt, err := l.Build(64, 64, [][]int{{4}})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := wt.Grids([]int{64, 16, 64, 4, 16})
	if err != nil {
		t.Fatal(err)
	}
	var lens []int
	for _, g := range gs {
		lens = append(lens, g.QueryLen)
	}
	if !slices.Equal(lens, []int{64, 16, 4}) {
		t.Fatalf("grid lengths %v", lens)
	}
	if _, err := wt.Grids([]int{16, 0}); err == nil {
		t.Fatal("bad length in the list accepted")
	}
}

func TestEmptyLayoutGivesZeroGrids(t *testing.T) {
	wt, err := (&Layout{Negative: DefaultNegative}).Build(16, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := wt.Grid(16)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range g.Data {
		if v != 0 {
			t.Fatalf("value %d is %g", i, v)
		}
	}
}
