package shapes

import "fmt"

// Colour is one colour of the world.
type Colour struct {
	Name string
	RGB  [3]uint8
	// Named colours appear in captions ("a red circle"); the others never do, so that a shape
	// in one of them is a subject the model has seen but has no word for (what Cones 2
	// customises, like "my dog" among dogs).
	Named bool
}

// Colour indices. Hues are spread so that a generated pixel's nearest colour is unambiguous.
const (
	Red = iota
	Yellow
	Green
	Blue
	Purple
	Orange // unnamed
	Cyan   // unnamed
	numColours
)

// Palette returns the shape colours, indexed by the constants above.
func Palette() []Colour {
	return []Colour{
		Red:    {"red", [3]uint8{214, 39, 40}, true},
		Yellow: {"yellow", [3]uint8{240, 208, 32}, true},
		Green:  {"green", [3]uint8{34, 160, 60}, true},
		Blue:   {"blue", [3]uint8{36, 72, 216}, true},
		Purple: {"purple", [3]uint8{140, 48, 178}, true},
		Orange: {"orange", [3]uint8{250, 128, 14}, false},
		Cyan:   {"cyan", [3]uint8{24, 200, 210}, false},
	}
}

// NamedColours returns the indices of the colours captions name.
func NamedColours() []int {
	var out []int
	for i, c := range Palette() {
		if c.Named {
			out = append(out, i)
		}
	}
	return out
}

// ColourByName returns the index of a colour by its name (named or not).
func ColourByName(name string) (int, error) {
	for i, c := range Palette() {
		if c.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("shapes: unknown colour %q", name)
}

// Backgrounds returns the plain background colours: light, mid and dark neutrals, far from every
// shape colour.
func Backgrounds() [][3]uint8 {
	return [][3]uint8{{236, 236, 230}, {170, 170, 172}, {52, 52, 58}}
}
