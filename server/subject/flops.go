package subject

import (
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// StepFLOPs estimates one training step's floating-point operations from the model
// description (sd's counter: matrix products only): the UNet forward pass; its backward pass
// for the input gradients alone (the UNet is frozen), one product per linear layer and
// convolution and two per attention product; and the text encoder forward plus a backward
// pass for input and weight gradients (three times its forward). The per-token preservation
// norms, AdamW and the VAE (run once per image, not per step) are left out.
func StepFLOPs(m *weights.Model, latentH, latentW, textLen int) float64 {
	u := sd.UNetFLOPs(m.UNet, 1, latentH, latentW, textLen)
	te := sd.TextEncoderFLOPs(m.TextEncoder, 1, textLen)
	return u.Total() + u.Conv + u.Linear + 2*u.Attention + 3*te.Total()
}
