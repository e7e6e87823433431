package library

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
// downloaded file carries them (settings.ToPNG; settings.FromPNG reads them back).
func NewItem(png []byte, s settings.Settings, now time.Time) (Item, error) {
	withText, err := s.ToPNG(png)
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
