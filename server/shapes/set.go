package shapes

import (
	"math/rand/v2"
)

// Set is an endless, deterministic sequence of scenes: Scene(i) depends only on the set's seed
// and i, so a training run can resume at any index and an evaluation can name its samples.
type Set struct {
	Seed uint64
	// OmitNameRate is the probability that a shape's colour is left out of the caption, so
	// that a bare "circle" means "a circle of any colour".
	OmitNameRate float64
}

// NewSet returns the data set the default model is trained on.
func NewSet(seed uint64) Set {
	return Set{Seed: seed, OmitNameRate: 0.15}
}

const (
	edgeMargin = 0.04 // shapes keep this far from the image border
	gapMargin  = 0.04 // and from each other
	maxTries   = 200
)

// Scene returns scene i of the set.
func (s Set) Scene(i uint64) Scene {
	// How many shapes (1, 2 or 3) and, for each count, the range of their sides.
	countWeights := [3]float64{0.4, 0.35, 0.25}
	sideRange := [3][2]float64{{0.36, 0.62}, {0.28, 0.46}, {0.24, 0.38}}
	rng := rand.New(rand.NewPCG(s.Seed, i))
	n := 1
	for u := rng.Float64(); n < 3 && u >= countWeights[n-1]; n++ {
		u -= countWeights[n-1]
	}
	sc := Scene{Background: rng.IntN(len(Backgrounds()))}
	for len(sc.Shapes) < n {
		sh, ok := s.place(rng, sc.Shapes, sideRange[n-1])
		if !ok {
			break // no room left: fewer shapes (rare)
		}
		sc.Shapes = append(sc.Shapes, sh)
	}
	return sc
}

// place draws a shape that does not overlap the others and whose caption phrase differs from
// theirs (so that every subject of a caption is a distinct phrase).
func (s Set) place(rng *rand.Rand, others []Shape, side [2]float64) (Shape, bool) {
	for range maxTries {
		sh := Shape{Kind: Kind(rng.IntN(int(numKinds))), Colour: rng.IntN(numColours)}
		sh.Unnamed = rng.Float64() < s.OmitNameRate
		sh.Side = side[0] + float64(side[1]-side[0])*rng.Float64()
		room := 1 - 2*edgeMargin - sh.Side
		sh.X0 = edgeMargin + room*rng.Float64()
		sh.Y0 = edgeMargin + room*rng.Float64()
		if fits(sh, others) {
			return sh, true
		}
	}
	return Shape{}, false
}

func fits(sh Shape, others []Shape) bool {
	for _, o := range others {
		if overlap(sh.Box(), o.Box(), gapMargin) || sh.Phrase() == o.Phrase() {
			return false
		}
	}
	return true
}
