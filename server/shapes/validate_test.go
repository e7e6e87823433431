package shapes

import "fmt"

// validate checks indices, geometry and that shapes do not overlap: the invariants of every
// scene a Set draws, which the tests check it against.
func (s Scene) validate() error {
	if s.Background < 0 || s.Background >= len(Backgrounds()) {
		return fmt.Errorf("shapes: background %d out of range", s.Background)
	}
	for i, sh := range s.Shapes {
		switch {
		case sh.Kind < 0 || sh.Kind >= numKinds:
			return fmt.Errorf("shapes: shape %d: unknown kind %d", i, sh.Kind)
		case sh.Colour < 0 || sh.Colour >= numColours:
			return fmt.Errorf("shapes: shape %d: colour %d out of range", i, sh.Colour)
		case !(sh.Side > 0) || sh.X0 < 0 || sh.Y0 < 0 || sh.X0+sh.Side > 1 || sh.Y0+sh.Side > 1:
			return fmt.Errorf("shapes: shape %d: box %v is not inside the image", i, sh.Box())
		}
		for j := range i {
			if overlap(sh.Box(), s.Shapes[j].Box(), 0) {
				return fmt.Errorf("shapes: shapes %d and %d overlap", j, i)
			}
		}
	}
	return nil
}
