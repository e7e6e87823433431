package library

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cones2web/cones2/cones/pngtext"
	"github.com/cones2web/cones2/cones/settings"
)

// Item is one generated image of the gallery.
type Item struct {
	ID       int64             `json:"id"` // creation time in milliseconds: sorts newest first
	Created  time.Time         `json:"created"`
	Settings settings.Settings `json:"settings"`
	PNG      []byte            `json:"-"` // with the settings in a tEXt chunk
}

// NewItem makes a gallery item from an encoded image, embedding the settings in it so that the
// downloaded file carries them.
func NewItem(png []byte, s settings.Settings, now time.Time) (Item, error) {
	text, err := s.Marshal()
	if err != nil {
		return Item{}, err
	}
	withText, err := pngtext.Write(png, settings.PNGKeyword, string(text))
	if err != nil {
		return Item{}, fmt.Errorf("gallery image: %w", err)
	}
	return Item{ID: now.UnixMilli(), Created: now.UTC(), Settings: s, PNG: withText}, nil
}

// MarshalMeta encodes the record without the image.
func (it *Item) MarshalMeta() ([]byte, error) {
	b, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("gallery item: %w", err)
	}
	return b, nil
}

// UnmarshalItem decodes a stored record and attaches its image.
func UnmarshalItem(meta, png []byte) (Item, error) {
	var it Item
	if err := json.Unmarshal(meta, &it); err != nil {
		return Item{}, fmt.Errorf("stored gallery item: %w", err)
	}
	it.PNG = png
	return it, nil
}

// SettingsFromPNG reads the settings a downloaded image carries.
func SettingsFromPNG(png []byte) (settings.Settings, error) {
	texts, err := pngtext.Read(png)
	if err != nil {
		return settings.Settings{}, err
	}
	text, ok := texts[settings.PNGKeyword]
	if !ok {
		return settings.Settings{}, fmt.Errorf("this PNG carries no Cones 2 settings (no %q text chunk)", settings.PNGKeyword)
	}
	return settings.Unmarshal([]byte(text))
}

// FileName is the name the image is downloaded as: the start of the prompt and the seed.
func (it *Item) FileName() string {
	words := strings.Fields(it.Settings.Prompt)
	if len(words) > 6 {
		words = words[:6]
	}
	stem := fileSafe(strings.Join(words, "-"))
	if stem == "subject" {
		stem = "image"
	}
	return fmt.Sprintf("cones2-%s-seed%d.png", stem, it.Settings.Seed)
}

// Caption summarises the settings in one line for the gallery.
func (it *Item) Caption() string {
	s := &it.Settings
	return fmt.Sprintf("%s · %s, %d steps (%d guided), CFG %g, guidance %g, seed %d, %d×%d",
		s.Prompt, s.Sampler, s.Steps, s.GuidanceSteps, s.CFGScale, s.GuidanceWeight, s.Seed, s.Width, s.Height)
}
