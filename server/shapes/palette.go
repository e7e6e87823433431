package shapes

// Colour is one colour of the world. Every colour has its word in captions ("an orange
// circle"), and every shape's colour is left out of its caption now and then ("a circle"), so
// that a bare "circle" is a circle of any of the seven colours: a custom subject such as "my
// orange circle" is then what the bare word draws only about one time in seven, and what a
// residual has to add (like "my dog" among dogs, which the model can draw but not name).
type Colour struct {
	Name string
	RGB  [3]uint8
}

// Colour indices. Hues are spread so that a generated pixel's nearest colour is unambiguous.
const (
	Red = iota
	Yellow
	Green
	Blue
	Purple
	Orange
	Cyan
	numColours
)

// Palette returns the shape colours, indexed by the constants above.
func Palette() []Colour {
	return []Colour{
		Red:    {"red", [3]uint8{214, 39, 40}},
		Yellow: {"yellow", [3]uint8{240, 208, 32}},
		Green:  {"green", [3]uint8{34, 160, 60}},
		Blue:   {"blue", [3]uint8{36, 72, 216}},
		Purple: {"purple", [3]uint8{140, 48, 178}},
		Orange: {"orange", [3]uint8{250, 128, 14}},
		Cyan:   {"cyan", [3]uint8{24, 200, 210}},
	}
}

// Colours returns the index of every colour, in order.
func Colours() []int {
	out := make([]int, numColours)
	for i := range out {
		out[i] = i
	}
	return out
}

// Backgrounds returns the plain background colours: light, mid and dark neutrals, far from every
// shape colour.
func Backgrounds() [][3]uint8 {
	return [][3]uint8{{236, 236, 230}, {170, 170, 172}, {52, 52, 58}}
}
