package eval

import (
	"fmt"

	"github.com/cones2web/cones2/server/shapes"
)

// Picture is an 8-bit RGB image, H rows of W triples.
type Picture struct {
	W, H int
	RGB  []uint8
}

// Pixel labels besides the shape colours (whose labels are their shapes.Palette indices).
const (
	Background = -1 // nearest to a background colour
	Unknown    = -2 // far from every colour of the world (blends, artefacts)
)

// MaxDistance is how far (Euclidean, in 8-bit RGB) a pixel may be from the nearest colour of
// the world and still be labelled with it. Half the smallest distance between two world colours
// is about 55; 60 keeps the anti-aliased edge pixels that lie between two colours unknown.
const MaxDistance = 60

// Labels is a picture's pixels labelled with the nearest world colour.
type Labels struct {
	W, H int
	L    []int8
}

// Label labels every pixel of p.
func Label(p Picture) (Labels, error) {
	if p.W <= 0 || p.H <= 0 || len(p.RGB) != 3*p.W*p.H {
		return Labels{}, fmt.Errorf("eval: picture %dx%d has %d bytes", p.W, p.H, len(p.RGB))
	}
	type ref struct {
		rgb   [3]uint8
		label int8
	}
	var refs []ref
	for i, c := range shapes.Palette() {
		refs = append(refs, ref{c.RGB, int8(i)})
	}
	for _, bg := range shapes.Backgrounds() {
		refs = append(refs, ref{bg, Background})
	}
	out := Labels{W: p.W, H: p.H, L: make([]int8, p.W*p.H)}
	for i := range out.L {
		best, bestD := int8(Unknown), MaxDistance*MaxDistance+1
		for _, r := range refs {
			d := 0
			for c := range 3 {
				x := int(p.RGB[3*i+c]) - int(r.rgb[c])
				d += x * x
			}
			if d < bestD {
				best, bestD = r.label, d
			}
		}
		out.L[i] = best
	}
	return out, nil
}

// Box is a region in relative coordinates: x0, y0, x1, y1 in [0, 1], y down.
type Box [4]float64

// Whole returns the box of the whole picture.
func Whole() Box { return Box{0, 0, 1, 1} }

// inside reports whether pixel (x, y)'s centre lies in b.
func (l Labels) inside(b Box, x, y int) bool {
	cx, cy := (float64(x)+0.5)/float64(l.W), (float64(y)+0.5)/float64(l.H)
	return cx >= b[0] && cx < b[2] && cy >= b[1] && cy < b[3]
}

// Counts returns how many pixels of each shape colour lie in b, and how many pixels b holds.
func (l Labels) Counts(b Box) (counts []int, total int) {
	counts = make([]int, len(shapes.Palette()))
	for y := range l.H {
		for x := range l.W {
			if !l.inside(b, x, y) {
				continue
			}
			total++
			if c := l.L[y*l.W+x]; c >= 0 {
				counts[c]++
			}
		}
	}
	return counts, total
}

// MinShare is the share of a region a colour must cover to count as present there: a triangle
// fills half of its bounding square, a circle 79%; 20% allows a smaller or shifted shape.
const MinShare = 0.2

// Dominant returns the shape colour that covers most of b, and its share of b; -1 when no
// shape colour covers MinShare of b.
func (l Labels) Dominant(b Box) (colour int, share float64) {
	counts, total := l.Counts(b)
	colour = -1
	best := 0
	for c, n := range counts {
		if n > best {
			colour, best = c, n
		}
	}
	if total == 0 {
		return -1, 0
	}
	share = float64(best) / float64(total)
	if share < MinShare {
		return -1, share
	}
	return colour, share
}

// Share returns the share of b that colour covers.
func (l Labels) Share(b Box, colour int) float64 {
	counts, total := l.Counts(b)
	if total == 0 {
		return 0
	}
	return float64(counts[colour]) / float64(total)
}
