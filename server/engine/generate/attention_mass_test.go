package generate

import (
	"testing"

	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/conesfixture"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// With layout guidance on, each subject token's cross-attention falls inside its region more
// than with guidance off, in every cross-attention layer of the fixture model.
func TestGuidanceMovesAttentionIntoRegions(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			g := generator(t, v)
			c := conesfixture.Read(t, v)
			uc := c.UNetCones2
			l := conesfixture.OfficialLayout(t, v, c.LayoutSampling, uc.WeightNegative)
			lat, text := v.Tensor(t, "unet_cones2.sample"), v.Tensor(t, "unet_cones2.encoder_hidden_states")
			grids := layoutGrids(t, g, l, c.LayoutSampling.Prompt, lat.Shape[2], lat.Shape[3])
			in := weights.Tensor{Shape: lat.Shape, Data: lat.F32}
			emb := weights.Tensor{Shape: text.Shape, Data: text.F32}
			ts := []float32{float32(uc.Timestep)}
			off, err := g.Pipeline.UNet.CrossAttentionMaps(in, ts, emb, nil)
			if err != nil {
				t.Fatal(err)
			}
			on, err := g.Pipeline.UNet.CrossAttentionMaps(in, ts, emb,
				&sd.Guidance{Grids: grids, Strength: []float32{sample.EditStrength(uc.GuidanceWeight, float32(uc.Sigma))}})
			if err != nil {
				t.Fatal(err)
			}
			for _, sub := range l.Subjects {
				pos, err := g.Tokenizer.Positions(c.LayoutSampling.Prompt, sub.Word)
				if err != nil {
					t.Fatal(err)
				}
				col := pos[0]
				for i := range on {
					n := on[i].Height * on[i].Width
					w := grids[n]
					shareOff, shareOn := insideShare(off[i].Probs, w, col), insideShare(on[i].Probs, w, col)
					t.Logf("%s %q (%dx%d): share inside %.3f without guidance, %.3f with", on[i].Name, sub.Word, on[i].Height, on[i].Width, shareOff, shareOn)
					if !(shareOn > shareOff) {
						t.Errorf("%s: %q keeps %.3f of its attention inside its region with guidance, %.3f without",
							on[i].Name, sub.Word, shareOn, shareOff)
					}
				}
			}
		})
	}
}

// insideShare is the share of token col's attention (over all queries of batch item 0) that
// falls on queries inside the token's region (where the layout map is positive).
func insideShare(probs weights.Tensor, grid []float32, col int) float64 {
	n, keys := probs.Shape[1], probs.Shape[2]
	inside, total := 0.0, 0.0
	for q := 0; q < n; q++ {
		p := float64(probs.Data[q*keys+col])
		total += p
		if grid[q*keys+col] > 0 {
			inside += p
		}
	}
	return inside / total
}
