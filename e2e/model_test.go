package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/wgsl"
)

// The component parity tests run the browser engine with float32 weights on SwiftShader and
// compare with the official numbers at the fixtures' tolerance (1e-4 max abs).

func TestTextEncoderFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			ids := v.Tensor(t, "text_encoder.input_ids")
			rows := make([][]int, ids.Shape[0])
			for i := range rows {
				for _, id := range ids.I64[i*ids.Shape[1] : (i+1)*ids.Shape[1]] {
					rows[i] = append(rows[i], int(id))
				}
			}
			var out f32
			start := time.Now()
			h.call(t, "textEncoder", map[string]any{"IDs": rows}, &out)
			t.Logf("text encoder, batch %d: %v", len(rows), time.Since(start).Round(time.Millisecond))
			fixture.AssertClose(t, "last_hidden_state", out, v.Tensor(t, "text_encoder.last_hidden_state").F32, 1e-4)
		})
	}
}

func TestUNetFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			var cases struct {
				UNet struct {
					Timesteps []float64 `json:"timesteps"`
				} `json:"unet"`
			}
			v.Cases(t, &cases)
			for _, ts := range cases.UNet.Timesteps {
				key := fmt.Sprintf("unet.t%g", ts)
				sample := v.Tensor(t, key+".sample")
				var out f32
				start := time.Now()
				h.call(t, "unet", map[string]any{"Batch": sample.Shape[0], "H": sample.Shape[2], "W": sample.Shape[3],
					"Sample": f32(sample.F32), "Context": f32(v.Tensor(t, key+".encoder_hidden_states").F32), "Timestep": ts}, &out)
				t.Logf("%s, batch %d: %v", key, sample.Shape[0], time.Since(start).Round(time.Millisecond))
				fixture.AssertClose(t, key, out, v.Tensor(t, key+".out").F32, 1e-4)
			}
		})
	}
}

func TestUNetCones2Fixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			var cases struct {
				C struct {
					Timestep       float64 `json:"timestep"`
					Sigma          float64 `json:"sigma"`
					GuidanceWeight float64 `json:"guidance_weight"`
				} `json:"unet_cones2"`
			}
			v.Cases(t, &cases)
			sample := v.Tensor(t, "unet_cones2.sample")
			hh, ww := sample.Shape[2], sample.Shape[3]
			lw := fixtureLayout(t, v, 8*hh)
			maps := map[int]f32{}
			for _, n := range []int{hh * ww, hh * ww / 4, hh * ww / 16, hh * ww / 64} {
				g, err := lw.Grid(n)
				if err != nil {
					t.Fatal(err)
				}
				maps[n] = g.Data
			}
			var out f32
			start := time.Now()
			h.call(t, "unet", map[string]any{"Batch": 1, "H": hh, "W": ww, "Sample": f32(sample.F32),
				"Context": f32(v.Tensor(t, "unet_cones2.encoder_hidden_states").F32), "Timestep": cases.C.Timestep,
				"Edit": true, "EditBatch": 0, "Coef": float32(cases.C.GuidanceWeight * math.Log(1+cases.C.Sigma*cases.C.Sigma)),
				"Layout": maps}, &out)
			t.Logf("unet_cones2: %v", time.Since(start).Round(time.Millisecond))
			fixture.AssertClose(t, "unet_cones2.out", out, v.Tensor(t, "unet_cones2.out").F32, 1e-4)
		})
	}
}

func TestVAEDecodeFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			lat := v.Tensor(t, "vae.decode.latents")
			var out struct {
				Image f32
				RGBA  []byte
			}
			start := time.Now()
			h.call(t, "decode", map[string]any{"Latents": f32(lat.F32), "H": lat.Shape[2], "W": lat.Shape[3]}, &out)
			t.Logf("vae decode %dx%d: %v", 8*lat.Shape[3], 8*lat.Shape[2], time.Since(start).Round(time.Millisecond))
			want := v.Tensor(t, "vae.decode.out").F32
			fixture.AssertClose(t, "vae.decode.out", out.Image, want, 1e-4)
			// levels of the GPU's image, and of the reference, within one (rounding at half levels)
			checkPixels(t, out.RGBA, out.Image, 1)
			checkPixels(t, out.RGBA, want, 1)
		})
	}
}

// checkPixels compares RGBA pixels with the levels of the [3, H, W] float image they were made
// from: every level within maxDiff, alpha opaque.
func checkPixels(t *testing.T, rgba []byte, img []float32, maxDiff int) {
	t.Helper()
	hw := len(img) / 3
	if len(rgba) != 4*hw {
		t.Fatalf("%d RGBA bytes for %d pixels", len(rgba), hw)
	}
	for i := range hw {
		for c := range 3 {
			want := int(wgsl.Level(img[c*hw+i]))
			if d := int(rgba[4*i+c]) - want; d > maxDiff || -d > maxDiff {
				t.Fatalf("pixel %d channel %d: level %d, want %d", i, c, rgba[4*i+c], want)
			}
		}
		if rgba[4*i+3] != 255 {
			t.Fatalf("pixel %d: alpha %d", i, rgba[4*i+3])
		}
	}
}
