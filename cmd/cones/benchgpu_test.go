package main

import (
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// TestPrintFLOPs checks the FLOP counts benchgpu prints for SD 2.1-base at 512x512 (no browser
// needed): the kernels' count of a UNet step and, beside it, its description's matrix products,
// two batch items of 804.27 GFLOP (weights' TestSD21BaseFLOPs).
func TestPrintFLOPs(t *testing.T) {
	var out strings.Builder
	if err := printFLOPs(&out, fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"), 512); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	step := s[strings.Index(s, "UNet step"):]
	if !strings.Contains(step[:strings.Index(step, "VAE decode")], "the description's matrix products: 1608.5 GFLOP") {
		t.Errorf("no description count for the UNet step:\n%s", s)
	}
	if !strings.Contains(s, "memory plan with a 128 MiB binding limit") {
		t.Errorf("no memory plan:\n%s", s)
	}
}
