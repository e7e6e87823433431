package preview

import (
	"math"
	"strings"
	"testing"
)

func TestSDLatentsMapThroughTheColourFit(t *testing.T) {
	// One latent cell per pixel; pixel 0 is all zeros (mid grey), pixel 1 has only channel 0.
	lat := []float32{
		0, 1, // channel 0
		0, 0, // channel 1
		0, 0, // channel 2
		0, 0, // channel 3
	}
	img, err := Latents(lat, 4, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Pix[0:4]; got[0] != 128 || got[1] != 128 || got[2] != 128 || got[3] != 255 {
		t.Errorf("zero latent: %v, want mid grey", got)
	}
	want := []uint8{toByte((0.298 + 1) / 2), toByte((0.207 + 1) / 2), toByte((0.208 + 1) / 2), 255}
	if got := img.Pix[4:8]; string(got) != string(want) {
		t.Errorf("channel-0 latent: %v, want %v", got, want)
	}
}

func TestOtherShapesStretchEachChannel(t *testing.T) {
	lat := []float32{-2, 0, 2, 5, 5, 5} // 2 channels of 1x3; the second is constant
	img, err := Latents(lat, 2, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	// R from channel 0 stretched to 0..255; G and B from channel 1 (constant: mid).
	for p, want := range [][4]uint8{{0, 128, 128, 255}, {128, 128, 128, 255}, {255, 128, 128, 255}} {
		if got := [4]uint8(img.Pix[4*p : 4*p+4]); got != want {
			t.Errorf("pixel %d = %v, want %v", p, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		lat      []float32
		ch, h, w int
	}{{nil, 4, 1, 1}, {make([]float32, 3), 4, 1, 1}, {make([]float32, 4), 0, 2, 2}, {make([]float32, 4), 4, -1, -1}} {
		if _, err := Latents(c.lat, c.ch, c.h, c.w); err == nil || !strings.Contains(err.Error(), "preview") {
			t.Errorf("%d values, %d channels %dx%d: err %v", len(c.lat), c.ch, c.h, c.w, err)
		}
	}
	nan := float32(math.NaN())
	img, err := Latents([]float32{nan, nan, nan}, 1, 1, 3)
	if err != nil || img.Pix[0] != 0 {
		t.Errorf("NaN latents: %v %v", img.Pix, err)
	}
}
