package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"

	"github.com/cones2web/cones2/cones/layout"
)

// Region is a layout subject given pixel by pixel (an official colour layout's region). Our
// layout JSON carries boxes only (a mask belongs to the picture it came from), so settings and
// drafts keep each mask as a small black-and-white PNG beside the JSON.
type Region struct {
	Index  int     `json:"index"` // the subject's place in the layout (the order guidance sums in)
	Word   string  `json:"word"`
	Weight float64 `json:"weight"`
	Mask   []byte  `json:"mask_png"` // white = inside
}

// MaxRegionPNG bounds a stored mask picture.
const MaxRegionPNG = 1 << 20

// SplitLayout separates a layout into our layout JSON (its box subjects) and its mask regions.
func SplitLayout(l *layout.Layout) (json.RawMessage, []Region, error) {
	boxes := &layout.Layout{Negative: l.Negative}
	var regions []Region
	for i, s := range l.Subjects {
		if s.Mask == nil {
			boxes.Subjects = append(boxes.Subjects, s)
			continue
		}
		pic, err := maskPNG(s.Mask)
		if err != nil {
			return nil, nil, fmt.Errorf("region %q: %w", s.Word, err)
		}
		regions = append(regions, Region{Index: i, Word: s.Word, Weight: s.Weight, Mask: pic})
	}
	b, err := layout.Encode(boxes)
	if err != nil {
		return nil, nil, err
	}
	return b, regions, nil
}

// JoinLayout rebuilds a layout from SplitLayout's parts, each region back at its index.
func JoinLayout(data json.RawMessage, regions []Region) (*layout.Layout, error) {
	l := &layout.Layout{Negative: layout.DefaultNegative}
	if len(data) > 0 {
		var err error
		if l, err = layout.Parse(data); err != nil {
			return nil, err
		}
	}
	rs := slices.Clone(regions)
	slices.SortFunc(rs, func(a, b Region) int { return a.Index - b.Index })
	for _, r := range rs {
		m, err := r.decode()
		if err != nil {
			return nil, fmt.Errorf("region %q: %w", r.Word, err)
		}
		if r.Index < 0 || r.Index > len(l.Subjects) {
			return nil, fmt.Errorf("region %q: index %d outside the layout's %d subjects", r.Word, r.Index, len(l.Subjects))
		}
		l.Subjects = slices.Insert(l.Subjects, r.Index, layout.Subject{Word: r.Word, Weight: r.Weight, Mask: m})
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func maskPNG(m *layout.Mask) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, m.W, m.H))
	for i, in := range m.In {
		if in {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r Region) decode() (*layout.Mask, error) {
	if len(r.Mask) > MaxRegionPNG {
		return nil, fmt.Errorf("mask picture of %d bytes, at most %d", len(r.Mask), MaxRegionPNG)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(r.Mask))
	if err != nil {
		return nil, fmt.Errorf("mask picture: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > layout.MaxImageSide || cfg.Height > layout.MaxImageSide {
		return nil, fmt.Errorf("mask picture %dx%d outside 1..%d", cfg.Width, cfg.Height, layout.MaxImageSide)
	}
	img, err := png.Decode(bytes.NewReader(r.Mask))
	if err != nil {
		return nil, fmt.Errorf("mask picture: %w", err)
	}
	b := img.Bounds()
	m := &layout.Mask{W: b.Dx(), H: b.Dy(), In: make([]bool, b.Dx()*b.Dy())}
	any := false
	for y := range m.H {
		for x := range m.W {
			in := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y >= 128
			m.In[y*m.W+x] = in
			any = any || in
		}
	}
	if !any {
		return nil, errors.New("mask picture has no white pixel")
	}
	return m, nil
}
