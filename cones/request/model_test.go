package request

import (
	"testing"

	"github.com/cones2web/cones2/weights"
)

// Sizes follow the model: the default shapes model (a factor-4 VAE, a two-level UNet, trained
// at 32 px) takes multiples of 8 and starts at 32.
func TestModelSizes(t *testing.T) {
	f, err := weights.Open("../../weights/default")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	m := Model{Networks: d}
	if m.SizeStep() != 8 || m.NativeSize() != 32 {
		t.Errorf("size step %d, native size %d; want 8 and 32", m.SizeStep(), m.NativeSize())
	}
	if got := m.LatentShape(32, 40); got[0] != 1 || got[1] != d.UNet.Config.InChannels || got[2] != 10 || got[3] != 8 {
		t.Errorf("latents of a 32x40 image: %v", got)
	}
}
