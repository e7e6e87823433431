package editor

// palette holds colours that stay distinguishable from each other, on light and dark pages, and
// for the common forms of colour blindness (the Okabe–Ito set, minus black).
var palette = [...]string{"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}

// Colour is the colour of the i-th subject of a layout (boxes and prompt marks share it).
func Colour(i int) string {
	if i < 0 {
		i = -i
	}
	return palette[i%len(palette)]
}

// Words lists the distinct subject words of the boxes in drawing order: the order colours follow.
func (e *Editor) Words() []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range e.boxes {
		if b.Word != "" && !seen[b.Word] {
			seen[b.Word] = true
			out = append(out, b.Word)
		}
	}
	return out
}
