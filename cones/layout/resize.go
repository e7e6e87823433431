package layout

import (
	"fmt"
	"math"
)

// Grid is the layout weight map of one attention layer, laid out for the kernels: Data is
// [QueryLen, ContextLen] row-major, row q being query q of the layer (its grid flattened
// row-major).
type Grid struct {
	QueryLen int
	Data     []float32
}

// Grid resizes the map to an attention layer with queryLen queries, as the official attention
// processor does:
//
//   - for 9216, 2304, 576 and 144 queries (a 768x768 image's grids) it uses the maps the official
//     code precomputes per subject by bilinear downsampling (align_corners=True) to
//     round(H/r) x round(W/r), r = 8, 16, 32, 64, summed over subjects;
//   - for any other length it resizes the whole map bilinearly (align_corners=True) by the factor
//     1/sqrt(H*W/queryLen), giving trunc(H/ratio) x trunc(W/ratio), then resamples the flattened
//     map to queryLen by nearest neighbour (the identity when the grid matches).
//
// Where the official code would fail (a precomputed length whose map has another size), Grid
// takes the second path instead.
func (wt *Weights) Grid(queryLen int) (*Grid, error) {
	var planes map[int][]float32
	return wt.grid(queryLen, &planes)
}

// grid is Grid sharing the column planes of CA_WEIGHT_ORIG, computed when first needed, between
// several grids.
func (wt *Weights) grid(queryLen int, planes *map[int][]float32) (*Grid, error) {
	if queryLen <= 0 || queryLen > wt.H*wt.W {
		return nil, fmt.Errorf("layout: query length %d outside 1..%d (the image's pixel count)", queryLen, wt.H*wt.W)
	}
	if r := precomputedRatio(queryLen); r > 0 {
		oh, ow := roundHalfEven(wt.H, r), roundHalfEven(wt.W, r)
		if oh*ow == queryLen {
			return wt.precomputedGrid(oh, ow), nil
		}
	}
	ratio := math.Sqrt(float64(wt.H*wt.W) / float64(queryLen))
	scale := 1 / ratio
	oh, ow := int(float64(wt.H)*scale), int(float64(wt.W)*scale)
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("layout: %d queries give a %dx%d grid for a %dx%d image", queryLen, ow, oh, wt.W, wt.H)
	}
	if *planes == nil {
		*planes = wt.columnPlanes()
	}
	return wt.resizedGrid(oh, ow, queryLen, *planes), nil
}

// Grids returns the maps for the query lengths of a UNet's cross-attention layers, one per
// distinct length, in order of first appearance.
func (wt *Weights) Grids(queryLens []int) ([]*Grid, error) {
	var out []*Grid
	done := map[int]bool{}
	var planes map[int][]float32
	for _, n := range queryLens {
		if done[n] {
			continue
		}
		done[n] = true
		g, err := wt.grid(n, &planes)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// precomputedRatio is the downsampling ratio of the maps the official code precomputes and looks
// up by query length (CA_WEIGHT_9216 and friends), or 0.
func precomputedRatio(queryLen int) int {
	switch queryLen {
	case 9216:
		return 8
	case 2304:
		return 16
	case 576:
		return 32
	case 144:
		return 64
	}
	return 0
}

// roundHalfEven is Python's round(n / r).
func roundHalfEven(n, r int) int { return int(math.RoundToEven(float64(n) / float64(r))) }

// resizedGrid is CA_WEIGHT_ORIG bilinearly resized to oh x ow and resampled to n rows.
func (wt *Weights) resizedGrid(oh, ow, n int, planes map[int][]float32) *Grid {
	g := &Grid{QueryLen: n, Data: make([]float32, n*ContextLen)}
	for _, c := range wt.columns {
		small := bilinearPlane(planes[c], wt.H, wt.W, oh, ow, channelOrder(c))
		for q := range n {
			g.Data[q*ContextLen+c] = small[nearestIndex(q, oh*ow, n)]
		}
	}
	return g
}

// precomputedGrid sums each subject's region plane downsampled to oh x ow.
func (wt *Weights) precomputedGrid(oh, ow int) *Grid {
	n := oh * ow
	g := &Grid{QueryLen: n, Data: make([]float32, n*ContextLen)}
	plane := make([]float32, wt.H*wt.W)
	for si := range wt.subjects {
		s := &wt.subjects[si]
		for p := range plane {
			plane[p] = s.value(p)
		}
		// One channel at a time: PyTorch's per-channel (left to right) sum.
		small := bilinearPlane(plane, wt.H, wt.W, oh, ow, sumScalar)
		for q, v := range small {
			for _, c := range s.cols {
				g.Data[q*ContextLen+c] += v
			}
		}
	}
	return g
}

// channelOrder is the sum order PyTorch's channels-last bilinear kernel uses for channel c of the
// 77: SIMD vectors of 8 floats (AVX2) up to the last whole vector, then one channel at a time.
func channelOrder(c int) sumOrder {
	const vec = 8
	if c < ContextLen-ContextLen%vec {
		return sumVector
	}
	return sumScalar
}
