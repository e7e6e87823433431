package eval

import (
	"github.com/cones2web/cones2/server/shapes"
)

// MinShapePixels is the smallest region whose outline is classified; smaller blobs are noise.
const MinShapePixels = 12

// Region is a 4-connected set of pixels of one colour.
type Region struct {
	Colour                 int
	Pixels                 int
	MinX, MinY, MaxX, MaxY int // bounding box, inclusive
	in                     []bool
}

// Regions returns the 4-connected regions of colour inside b (pixel centres), largest first.
func (l Labels) Regions(colour int, b Box) []Region {
	seen := make([]bool, len(l.L))
	var out []Region
	for start := range l.L {
		x0, y0 := start%l.W, start/l.W
		if seen[start] || int(l.L[start]) != colour || !l.inside(b, x0, y0) {
			continue
		}
		r := Region{Colour: colour, MinX: x0, MinY: y0, MaxX: x0, MaxY: y0, in: make([]bool, len(l.L))}
		stack := []int{start}
		seen[start] = true
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%l.W, p/l.W
			r.in[p] = true
			r.Pixels++
			r.MinX, r.MaxX = min(r.MinX, x), max(r.MaxX, x)
			r.MinY, r.MaxY = min(r.MinY, y), max(r.MaxY, y)
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= l.W || ny >= l.H {
					continue
				}
				q := ny*l.W + nx
				if !seen[q] && int(l.L[q]) == colour && l.inside(b, nx, ny) {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
		out = append(out, r)
	}
	// Largest first; ties keep scan order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Pixels > out[j-1].Pixels; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Kind classifies the region's outline: the kind that, drawn in the region's bounding box,
// overlaps the region best (intersection over union), with that IoU. Regions smaller than
// MinShapePixels give ok false.
func (r Region) Kind(l Labels) (kind shapes.Kind, iou float64, ok bool) {
	if r.Pixels < MinShapePixels {
		return 0, 0, false
	}
	w, h := float64(r.MaxX-r.MinX+1), float64(r.MaxY-r.MinY+1)
	for _, k := range shapes.Kinds() {
		inter, union := 0, 0
		for y := r.MinY; y <= r.MaxY; y++ {
			for x := r.MinX; x <= r.MaxX; x++ {
				tpl := k.Contains((float64(x-r.MinX)+0.5)/w, (float64(y-r.MinY)+0.5)/h)
				got := r.in[y*l.W+x]
				if tpl && got {
					inter++
				}
				if tpl || got {
					union++
				}
			}
		}
		if v := float64(inter) / float64(max(union, 1)); v > iou {
			kind, iou = k, v
		}
	}
	return kind, iou, true
}
