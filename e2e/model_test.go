package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/webgpu/engine"
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// The component parity tests run the browser engine with float32 weights on SwiftShader and
// compare with the official numbers at the fixtures' tolerance (1e-4 max abs).

func TestTextEncoderFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			req := textEncoderRequest(t, v)
			var out f32
			start := time.Now()
			h.call(t, "textEncoder", req, &out)
			t.Logf("text encoder, batch %d: %v", len(req["IDs"].([][]int)), time.Since(start).Round(time.Millisecond))
			fixture.AssertClose(t, "last_hidden_state", out, v.Tensor(t, "text_encoder.last_hidden_state").F32, 1e-4)
			// the load reported its last component's bytes complete
			p, _ := h.info["lastProgress"].(map[string]any)
			if p["Component"] != "vae" || p["Done"] != p["Total"] || p["Total"].(float64) <= 0 {
				t.Errorf("last load progress %v, want the vae's bytes done of its total", p)
			}
		})
	}
}

func TestUNetFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			h := loadHarness(t, v, true)
			for _, ts := range v.UNetTimesteps(t) {
				key := unetKey(ts)
				req := unetRequest(t, v, ts)
				var out f32
				start := time.Now()
				h.call(t, "unet", req, &out)
				t.Logf("%s, batch %d: %v", key, req["Batch"], time.Since(start).Round(time.Millisecond))
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
			h.call(t, "decode", decodeRequest(t, v), &out)
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

// TestVAETiledDecode decodes the fixture latents in 8x8-latent tiles (the path large images take
// when the decoder's buffers exceed the device). Where a tile's blend weight is one (away from
// its overlaps) the tiled image must equal the untiled decode of that tile's latents; elsewhere
// tiling is an approximation (group norms see one tile, seams blend), so it is only logged.
func TestVAETiledDecode(t *testing.T) {
	v := fixture.Variants(t)[0]
	h := loadHarness(t, v, true)
	full := v.Tensor(t, "vae.decode.latents")
	// a 12x12 corner of the fixture latents: 2x2 tiles of 8x8 overlapping by 4 (keeps CI time down)
	z, fw := full.Shape[1], full.Shape[3]
	const lh, lw, tile, f = 12, 12, 8, 8
	lat := struct{ F32 []float32 }{}
	for ch := range z {
		for y := range lh {
			lat.F32 = append(lat.F32, full.F32[(ch*full.Shape[2]+y)*fw:(ch*full.Shape[2]+y)*fw+lw]...)
		}
	}
	var tiled, whole struct{ Image f32 }
	h.call(t, "decode", map[string]any{"Latents": f32(lat.F32), "H": lh, "W": lw, "Tile": tile}, &tiled)
	h.call(t, "decode", map[string]any{"Latents": f32(lat.F32), "H": lh, "W": lw}, &whole)
	worst, _, _ := fixture.MaxAbsDiff(tiled.Image, whole.Image)
	t.Logf("tiled decode (8x8 latents): max abs difference %.3g from the untiled decode", worst)
	// the first and last tiles of the plan, on the pixels where no neighbour blends in
	plan := gpugraph.TileGrid(lh, lw, tile, f)
	if len(plan.Tiles) < 4 {
		t.Fatalf("plan of %d tiles", len(plan.Tiles))
	}
	for _, tl := range []gpugraph.Tile{plan.Tiles[0], plan.Tiles[len(plan.Tiles)-1]} {
		c := struct{ y0, x0, py0, py1, px0, px1 int }{tl.Y, tl.X, tl.RampTop, f*tile - tl.RampBottom, tl.RampLeft, f*tile - tl.RampRight}
		crop := make([]float32, 0, z*tile*tile)
		for ch := range z {
			for y := c.y0; y < c.y0+tile; y++ {
				crop = append(crop, lat.F32[(ch*lh+y)*lw+c.x0:(ch*lh+y)*lw+c.x0+tile]...)
			}
		}
		var one struct{ Image f32 }
		h.call(t, "decode", map[string]any{"Latents": f32(crop), "H": tile, "W": tile}, &one)
		var got, want []float32
		W, w := f*lw, f*tile
		for ch := range 3 {
			for y := c.py0; y < c.py1; y++ {
				for x := c.px0; x < c.px1; x++ {
					want = append(want, one.Image[(ch*w+y)*w+x])
					got = append(got, tiled.Image[(ch*f*lh+f*c.y0+y)*W+f*c.x0+x])
				}
			}
		}
		fixture.AssertClose(t, fmt.Sprintf("tile at latent (%d,%d), unblended pixels", c.y0, c.x0), got, want, 1e-5)
	}
}

// TestGenerateSettingsChange generates with other CFG scales, step counts and noise on the
// shared page: the fixture runs after it must still reproduce, and the engine must do each piece
// of work once per generation: no bind group or pipeline made when only CFG, steps or seed
// change, the text K/V of every cross-attention layer projected once per generation (not per
// UNet evaluation), and the score statistics run only on guided evaluations.
func TestGenerateSettingsChange(t *testing.T) {
	v := fixture.Variants(t)[0]
	h := loadHarness(t, v, true)
	ls := readLayoutCases(t, v)
	f, err := weights.Open(v.Dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	cross := 0
	for _, tr := range m.UNet.Transformers() {
		cross += len(tr.Blocks)
	}
	// The first draw of the last run: its initial latent.
	last := len(ls.Runs) - 1
	all := v.Tensor(t, ls.Runs[last].Key+".noise")
	nz := all.F32[:len(all.F32)/all.Shape[0]]
	other := make([]float32, len(nz))
	for i := range other {
		other[i] = nz[len(nz)-1-i]
	}
	var before engine.Counts
	h.call(t, "counts", nil, &before)
	for i, c := range []struct {
		cfg          float64
		steps, guide int
		noise        []float32
	}{{3, 2, 1, nz}, {5, 3, 1, other}, {1.5, 2, 2, nz}} {
		req := samplingRequest(t, v, ls, last)
		req["CFG"], req["Steps"], req["GuidanceSteps"] = c.cfg, c.steps, c.guide
		draws := []f32{f32(c.noise)}
		for range c.guide {
			draws = append(draws, f32(c.noise)) // one self-recurrence draw per guided step
		}
		req["Noise"] = draws
		var out struct {
			Latents f32
			Steps   int
		}
		h.call(t, "sample", req, &out)
		if out.Steps != c.steps {
			t.Errorf("%d steps reported, want %d", out.Steps, c.steps)
		}
		for j, x := range out.Latents {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("latent %d is %g", j, x)
			}
		}
		var after engine.Counts
		h.call(t, "counts", nil, &after)
		evals := c.steps + c.guide
		t.Logf("generation %d (cfg %g, %d steps, %d guided, %d UNet evaluations): %+v", i, c.cfg, c.steps, c.guide, evals, after)
		if got := after.TextKV - before.TextKV; got != 2*cross {
			t.Errorf("generation %d: %d text K/V dispatches for %d UNet evaluations, want %d (2 per cross-attention layer, once)",
				i, got, evals, 2*cross)
		}
		if got, want := after.Guided-before.Guided, 2*cross*2*c.guide; got != want {
			t.Errorf("generation %d: %d score-statistics dispatches, want %d (guided evaluations only)", i, got, want)
		}
		// the decoder's programs are built and released by every decode (memory), by design
		made := (after.BindGroups - after.DecoderBindGroups) - (before.BindGroups - before.DecoderBindGroups)
		if i > 0 && (made != 0 || after.Pipelines != before.Pipelines) {
			t.Errorf("generation %d with another CFG, step count or noise made %d bind groups (besides the decoder's) and %d pipelines",
				i, made, after.Pipelines-before.Pipelines)
		}
		before = after
	}
}
