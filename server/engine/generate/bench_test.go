package generate

import (
	"context"
	"fmt"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/sample"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/internal/conesfixture"
	"github.com/cones2web/cones2/weights"
)

// BenchmarkStep is one denoising step as the sampler loop calls it: the unconditional and the
// conditional branch in one batch-2 UNet evaluation (layout guidance on the conditional one when
// guided) and classifier-free guidance, on each fixture model with its official layout. A guided
// step of the official loop takes two of these (self-recurrence).
func BenchmarkStep(b *testing.B) {
	f, err := weights.Open(fixture.External(b, "sd21-configs/stable-diffusion-2-1-base"))
	if err != nil {
		b.Fatal(err)
	}
	sdm, err := f.Describe()
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range fixture.Variants(b) {
		g := generator(b, v)
		c := conesfixture.Read(b, v)
		s := settings.Defaults(0, 0)
		s.Prompt = c.LayoutSampling.Prompt
		req := Request{Settings: s, Layout: conesfixture.OfficialLayout(b, v, c.LayoutSampling, -1e8)}
		cond, err := g.Conditioning(req)
		if err != nil {
			b.Fatal(err)
		}
		d, err := g.denoiser(req, cond)
		if err != nil {
			b.Fatal(err)
		}
		x := make([]float32, product(d.latShape))
		_ = noise.New(1).Normal(x)
		lh, lw := d.latShape[2], d.latShape[3]
		for _, guided := range []bool{false, true} {
			step := sample.Step{Index: 3, Total: 50, Timestep: 700, Guided: guided, GuideSigma: 5}
			b.Run(fmt.Sprintf("model=%s,latent=%dx%d,guided=%v", v.Name, lh, lw, guided), func(b *testing.B) {
				if _, err := d.Denoise(context.Background(), x, step); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := d.Denoise(context.Background(), x, step); err != nil {
						b.Fatal(err)
					}
				}
				per := b.Elapsed().Seconds() / float64(b.N)
				flops := g.Pipeline.Model.UNet.FLOPs(2, lh, lw, 77).Total()
				b.ReportMetric(flops/per/1e9, "GFLOP/s")
				b.ReportMetric(sdm.UNet.FLOPs(2, 64, 64, 77).Total()/(flops/per), "sd21base-512-s/op")
			})
		}
	}
}
