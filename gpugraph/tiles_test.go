package gpugraph

import (
	"fmt"
	"math"
	"testing"

	"github.com/cones2web/cones2/wgsl"
)

// TestTileWeightsSumToOne blends constant tiles over several latent sizes: every pixel of the
// canvas must come out exactly covered (weights of overlapping tiles sum to one).
func TestTileWeightsSumToOne(t *testing.T) {
	for _, c := range []struct{ h, w, t int }{{16, 16, 8}, {12, 20, 8}, {96, 96, 48}, {64, 40, 16}, {8, 8, 8}} {
		t.Run(fmt.Sprintf("h=%d,w=%d,tile=%d", c.h, c.w, c.t), func(t *testing.T) {
			const f = 8
			p := TileGrid(c.h, c.w, c.t, f)
			canvas := wgsl.Mem{F: make([]float32, 3*f*c.h*f*c.w)}
			ones := make([]float32, 3*f*c.t*f*c.t)
			for i := range ones {
				ones[i] = 1
			}
			for _, tl := range p.Tiles {
				if tl.Y+tl.H > c.h || tl.X+tl.W > c.w || tl.Y < 0 || tl.X < 0 {
					t.Fatalf("tile %+v outside %dx%d", tl, c.w, c.h)
				}
				g, err := TileBlend(tl, f, 3, f*c.h, f*c.w)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := RunCPU(g, PlanMemory(g), nil, map[string]wgsl.Mem{"tile": {F: ones}, "canvas": canvas}); err != nil {
					t.Fatal(err)
				}
			}
			for i, v := range canvas.F {
				if math.Abs(float64(v)-1) > 1e-6 {
					t.Fatalf("pixel %d of %d tiles: weight sum %g", i, len(p.Tiles), v)
				}
			}
		})
	}
}
