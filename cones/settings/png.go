package settings

import (
	"fmt"

	"github.com/cones2web/cones2/cones/pngtext"
)

// MaxPNGBytes bounds an image read for the settings it carries: a MaxSize×MaxSize RGBA picture
// stored without compression is under 17 MiB, so every image the product writes fits.
const MaxPNGBytes = 32 << 20

// ToPNG returns a copy of the encoded image carrying the settings in its PNGKeyword tEXt chunk,
// so whoever has the file can make the image again.
func (s *Settings) ToPNG(png []byte) ([]byte, error) {
	text, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	out, err := pngtext.Write(png, PNGKeyword, string(text))
	if err != nil {
		return nil, fmt.Errorf("settings in png: %w", err)
	}
	return out, nil
}

// FromPNG reads the settings an image written by ToPNG carries (the page's downloads, cones
// generate's output). Like Unmarshal it checks the format, not the values: callers validate
// them against their engine.
func FromPNG(png []byte) (Settings, error) {
	if len(png) > MaxPNGBytes {
		return Settings{}, fmt.Errorf("settings in png: %d bytes, at most %d", len(png), MaxPNGBytes)
	}
	texts, err := pngtext.Read(png)
	if err != nil {
		return Settings{}, fmt.Errorf("settings in png: %w", err)
	}
	text, ok := texts[PNGKeyword]
	if !ok {
		return Settings{}, fmt.Errorf("this PNG carries no Cones 2 settings (no %q text chunk)", PNGKeyword)
	}
	return Unmarshal([]byte(text))
}
