package eval

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
)

// Grid lays pictures out in rows of cols, each scaled up by scale (nearest neighbour) with a
// 2-pixel gap, and outlines every placed subject's box in white, so that a reader sees what each
// prompt asked for where.
func Grid(gs []Generated, cols, scale int) *image.RGBA {
	if len(gs) == 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	const gap = 2
	w, h := gs[0].Picture.W*scale, gs[0].Picture.H*scale
	rows := (len(gs) + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*(w+gap)-gap, rows*(h+gap)-gap))
	for i, g := range gs {
		ox, oy := (i%cols)*(w+gap), (i/cols)*(h+gap)
		p := g.Picture
		for y := range h {
			for x := range w {
				o := 3 * ((y/scale)*p.W + x/scale)
				img.Set(ox+x, oy+y, color.RGBA{p.RGB[o], p.RGB[o+1], p.RGB[o+2], 255})
			}
		}
		if g.Outcome.Item.Mode == Off {
			continue
		}
		for _, s := range g.Outcome.Item.Subjects {
			if s.Box == Whole() {
				continue
			}
			outline(img, ox, oy, w, h, s.Box)
		}
	}
	return img
}

func outline(img *image.RGBA, ox, oy, w, h int, b Box) {
	x0, y0 := ox+int(b[0]*float64(w)), oy+int(b[1]*float64(h))
	x1, y1 := ox+int(b[2]*float64(w))-1, oy+int(b[3]*float64(h))-1
	white := color.RGBA{255, 255, 255, 255}
	for x := x0; x <= x1; x += 2 {
		img.Set(x, y0, white)
		img.Set(x, y1, white)
	}
	for y := y0; y <= y1; y += 2 {
		img.Set(x0, y, white)
		img.Set(x1, y, white)
	}
}

// WriteGrids writes one PNG grid per section, guidance mode and method into dir.
func (rep *Report) WriteGrids(dir string, scale int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	groups := map[string][]Generated{}
	var order []string
	for _, g := range rep.Generated {
		it := g.Outcome.Item
		key := it.Section
		if it.Section != SectionText && it.Method == "" {
			key += " " + it.Mode.String()
		}
		if it.Method != "" {
			key += " " + strings.Fields(it.Method)[0]
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], g)
	}
	for _, key := range order {
		name := filepath.Join(dir, fileName(key)+".png")
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		err = png.Encode(f, Grid(groups[key], 12, scale))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("eval: %s: %w", name, err)
		}
	}
	return nil
}

func fileName(key string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(key) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
