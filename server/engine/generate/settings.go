package generate

import "github.com/cones2web/cones2/cones/settings"

// Settings are the knobs of one generation: the one settings type (cones/settings), with its
// official defaults (settings.Defaults) and limits (Settings.Validate). Width and Height 0 take
// the model's native size (UNet sample_size times the VAE's factor: 512 for SD 1.5 and
// 2.1-base, 768 for SD 2.1). The record's other fields (format, model, subjects, layout JSON)
// are not read here: the request's Layout and Residuals are.
type Settings = settings.Settings
