package shapes

import (
	"math/rand/v2"
	"strings"
)

// Shape is one shape of a scene, placed in the square [X0, X0+Side] × [Y0, Y0+Side] of the
// image (relative coordinates, y down).
type Shape struct {
	Kind   Kind
	Colour int // index into Palette
	X0, Y0 float64
	Side   float64
	// Unnamed leaves the colour out of the caption ("a circle").
	Unnamed bool
}

// Phrase is how the caption names the shape: "red circle", or "circle" when unnamed.
func (s Shape) Phrase() string {
	if s.Unnamed {
		return s.Kind.String()
	}
	return Palette()[s.Colour].Name + " " + s.Kind.String()
}

// Box returns the shape's bounding square as x0, y0, x1, y1.
func (s Shape) Box() [4]float64 { return [4]float64{s.X0, s.Y0, s.X0 + s.Side, s.Y0 + s.Side} }

// Contains reports whether the image point (x, y) (relative coordinates) lies in the shape.
func (s Shape) Contains(x, y float64) bool {
	return s.Kind.Contains(float64(x-s.X0)/s.Side, float64(y-s.Y0)/s.Side)
}

// Scene is one picture: a background and shapes that do not overlap.
type Scene struct {
	Background int // index into Backgrounds
	Shapes     []Shape
}

// Caption describes the scene in the shapes' order: "a red circle", "a red circle and a
// square", "a red circle, a blue square and a green triangle".
func (s Scene) Caption() string { return Caption(phrases(s.Shapes)) }

// Caption joins subject phrases into a caption the way the data set writes them.
func Caption(phrases []string) string {
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		parts[i] = Article(p) + " " + p
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func phrases(shapes []Shape) []string {
	out := make([]string, len(shapes))
	for i, s := range shapes {
		out[i] = s.Phrase()
	}
	return out
}

// overlap reports whether two boxes come closer than margin.
func overlap(a, b [4]float64, margin float64) bool {
	return a[0] < b[2]+margin && b[0] < a[2]+margin && a[1] < b[3]+margin && b[1] < a[3]+margin
}

// Article is the indefinite article of a phrase: "an" before a vowel ("an orange circle").
func Article(phrase string) string {
	if phrase != "" && strings.ContainsRune("aeiou", rune(phrase[0])) {
		return "an"
	}
	return "a"
}

// Templates returns n caption templates of this world with the place of a subject's word
// marked "{}" once: the word alone ("a {}") or beside one or two named shapes ("a red square
// and a {}"), in random order. A residual is averaged over sentences like these, the ones the
// model read (the official English templates, "a photo of a {}", it never did).
func Templates(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x7e3d1a7e))
	out := make([]string, n)
	for i := range out {
		phrases := []string{"{}"}
		for range rng.IntN(3) {
			c, k := rng.IntN(numColours), Kind(rng.IntN(int(numKinds)))
			phrases = append(phrases, Palette()[c].Name+" "+k.String())
		}
		rng.Shuffle(len(phrases), func(a, b int) { phrases[a], phrases[b] = phrases[b], phrases[a] })
		out[i] = Caption(phrases)
	}
	return out
}
