package shapes

// supersample is the number of sub-samples per pixel side: edges are anti-aliased by averaging
// supersample² point samples, in integers, so the bytes are the same everywhere.
const supersample = 4

// Render draws the scene as size×size 8-bit RGB, rows of size triples.
func (s Scene) Render(size int) []uint8 {
	bg := Backgrounds()[s.Background]
	pal := Palette()
	out := make([]uint8, 3*size*size)
	const n = supersample * supersample
	for py := range size {
		for px := range size {
			var sum [3]int
			for sy := range supersample {
				y := (float64(py) + (float64(sy)+0.5)/supersample) / float64(size)
				for sx := range supersample {
					x := (float64(px) + (float64(sx)+0.5)/supersample) / float64(size)
					c := bg
					for _, sh := range s.Shapes {
						if sh.Contains(x, y) {
							c = pal[sh.Colour].RGB
						}
					}
					for ch := range 3 {
						sum[ch] += int(c[ch])
					}
				}
			}
			o := 3 * (py*size + px)
			for ch := range 3 {
				out[o+ch] = uint8((sum[ch] + n/2) / n)
			}
		}
	}
	return out
}
