package shapes

import "fmt"

// Kind is a shape's outline.
type Kind int

// The shapes of the world.
const (
	Circle Kind = iota
	Square
	Triangle // isosceles, apex up
	numKinds
)

// Kinds lists every kind.
func Kinds() []Kind { return []Kind{Circle, Square, Triangle} }

func (k Kind) String() string {
	switch k {
	case Circle:
		return "circle"
	case Square:
		return "square"
	case Triangle:
		return "triangle"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Contains reports whether the point (x, y), relative to the shape's bounding square ([0,1]²,
// y down), lies inside the outline.
func (k Kind) Contains(x, y float64) bool {
	switch k {
	case Circle:
		dx, dy := x-0.5, y-0.5
		return dx*dx+dy*dy <= 0.25
	case Square:
		return x >= 0 && x <= 1 && y >= 0 && y <= 1
	case Triangle:
		// Apex at (0.5, 0), base from (0, 1) to (1, 1): at height y the half width is y/2.
		return y >= 0 && y <= 1 && x >= 0.5-y/2 && x <= 0.5+y/2
	}
	return false
}
