package reuse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cones2web/cones2/cones/pngtext"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/library"
)

// Page is what a PNG's settings are checked against: the samplers the form offers and the
// served model's size step (settings.Validate's arguments).
type Page struct {
	Samplers []string
	SizeStep int
}

// FromPNG plans restoring the settings an image carries. A file that is too large, not a PNG,
// carries no settings, or carries values this page cannot take is refused with an error that
// says which, so the caller changes nothing.
func FromPNG(data []byte, page Page, have []library.Subject) (Plan, error) {
	if len(data) > settings.MaxPNGBytes {
		return Plan{}, fmt.Errorf("it is %s, more than the %s an image of this page can be",
			library.HumanBytes(int64(len(data))), library.HumanBytes(settings.MaxPNGBytes))
	}
	s, err := settings.FromPNG(data)
	switch {
	case errors.Is(err, pngtext.ErrNotPNG):
		return Plan{}, errors.New("it is not a PNG image; drop an image this page or cones generate made")
	case err != nil:
		return Plan{}, err
	}
	if err := s.Validate(page.Samplers, page.SizeStep); err != nil {
		var bad []string
		for _, fe := range settings.Fields(err) {
			bad = append(bad, fe.Error())
		}
		return Plan{}, fmt.Errorf("its settings do not fit this page: %s", strings.Join(bad, "; "))
	}
	return New(s, have)
}
