package schedule

import (
	"fmt"
	"testing"
)

// BenchmarkStep times one step of each sampler on a Stable Diffusion 512 px latent (4x64x64),
// at a mid-run index with the multistep history already full.
func BenchmarkStep(b *testing.B) {
	const c, h, w = 4, 64, 64
	cfg := DefaultConfig()
	for _, sc := range []struct {
		name string
		opts []Option
	}{{"lms", []Option{LMSOrder(1)}}, {"lms", nil}, {"euler", nil}, {"ddim", nil}, {"dpmpp2m", nil}, {"pndm", nil}} {
		order := ""
		if sc.name == "lms" {
			order = ",order=4"
			if sc.opts != nil {
				order = ",order=1"
			}
		}
		b.Run(fmt.Sprintf("sampler=%s%s,latent=%dx%dx%d", sc.name, order, c, h, w), func(b *testing.B) {
			s, err := New(sc.name, cfg, sc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.SetTimesteps(50); err != nil {
				b.Fatal(err)
			}
			x, m := make([]float32, c*h*w), make([]float32, c*h*w)
			for j := range x {
				x[j], m[j] = float32(j%97)/97-0.5, float32(j%89)/89-0.5
			}
			for i := range 10 {
				if _, err := s.Step(m, x, i); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Step(m, x, 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}
