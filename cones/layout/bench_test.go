package layout

import (
	"fmt"
	"testing"
)

// BenchmarkGrids builds the weight maps of a two-subject layout for every cross-attention grid
// of Stable Diffusion 2.1-base at 512x512 (64², 32², 16², 8²) and of 2.1 at 768x768 (the
// official precomputed path), from boxes to the [queries, 77] arrays the kernels read.
func BenchmarkGrids(b *testing.B) {
	l := &Layout{Negative: DefaultNegative, Subjects: []Subject{
		{Word: "mug", Weight: DefaultWeight, Boxes: []Box{{0.05, 0.3, 0.45, 0.9}}},
		{Word: "dog", Weight: DefaultWeight, Boxes: []Box{{0.5, 0.2, 0.97, 0.8}}},
	}}
	pos := [][]int{{2}, {5}}
	for _, c := range []struct {
		name string
		side int
		lens []int // the UNet's cross-attention query lengths at that size (weights.UNet.QueryLengths)
	}{{"sd21base", 512, []int{4096, 1024, 256, 64}}, {"sd21", 768, []int{9216, 2304, 576, 144}}} {
		lens := c.lens
		b.Run(fmt.Sprintf("%s,%dx%d", c.name, c.side, c.side), func(b *testing.B) {
			b.ReportAllocs()
			var out int
			for b.Loop() {
				wt, err := l.Build(c.side, c.side, pos)
				if err != nil {
					b.Fatal(err)
				}
				gs, err := wt.Grids(lens)
				if err != nil {
					b.Fatal(err)
				}
				out = 0
				for _, g := range gs {
					out += 4 * len(g.Data)
				}
			}
			b.ReportMetric(float64(out)/1e6, "grid-MB")
		})
	}
}
