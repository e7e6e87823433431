package sd

import (
	"fmt"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
)

// sd21Base describes Stable Diffusion 2.1-base from its real configs (no weights needed).
func sd21Base(b *testing.B) *weights.Model {
	f, err := weights.Open(fixture.External(b, "sd21-configs/stable-diffusion-2-1-base"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func randomTensor(seed uint64, scale float32, dims ...int) weights.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	t := weights.Tensor{Shape: dims, Data: make([]float32, n)}
	_ = noise.New(seed).Normal(t.Data)
	for i := range t.Data {
		t.Data[i] *= scale
	}
	return t
}

// report adds throughput and the SD 2.1-base projection: the time the same work at 512x512
// (sdFLOPs) would take at the rate measured here.
func report(b *testing.B, flops, sdFLOPs float64) {
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(flops/per/1e9, "GFLOP/s")
	b.ReportMetric(sdFLOPs/(flops/per), "sd21base-512-s/op")
}

// BenchmarkUNet is one UNet evaluation on each fixture model (batch 2, as classifier-free
// guidance runs it), with and without layout guidance.
func BenchmarkUNet(b *testing.B) {
	sdm := sd21Base(b)
	for _, v := range fixture.Variants(b) {
		p := pipeline(b, v)
		h := p.Model.UNet.Config.SampleSize
		grids := map[int][]float32{}
		for _, n := range p.UNet.QueryLengths(h, h) {
			grids[n] = randomTensor(3, 1, n, 77).Data
		}
		for _, guided := range []bool{false, true} {
			b.Run(fmt.Sprintf("model=%s,batch=2,latent=%d,guided=%v", v.Name, h, guided), func(b *testing.B) {
				sample := randomTensor(1, 1, 2, p.Model.UNet.Config.InChannels, h, h)
				text := randomTensor(2, 1, 2, 77, p.Model.UNet.Config.CrossAttentionDim)
				var g *Guidance
				if guided {
					g = &Guidance{Grids: grids, Strength: []float32{0, 0.2}}
				}
				if _, err := p.UNet.Predict(sample, []float32{500}, text, g); err != nil { // compile outside the timing
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := p.UNet.Predict(sample, []float32{500}, text, g); err != nil {
						b.Fatal(err)
					}
				}
				report(b, p.Model.UNet.FLOPs(2, h, h, 77).Total(), sdm.UNet.FLOPs(2, 64, 64, 77).Total())
			})
		}
	}
}

// BenchmarkVAEDecode is one decode of one latent at each fixture model's size.
func BenchmarkVAEDecode(b *testing.B) {
	sdm := sd21Base(b)
	for _, v := range fixture.Variants(b) {
		p := pipeline(b, v)
		h := p.Model.UNet.Config.SampleSize
		b.Run(fmt.Sprintf("model=%s,batch=1,latent=%d", v.Name, h), func(b *testing.B) {
			lat := randomTensor(1, 1, 1, p.Model.VAE.LatentChannels, h, h)
			if _, err := p.VAE.Decode(lat); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.VAE.Decode(lat); err != nil {
					b.Fatal(err)
				}
			}
			report(b, p.Model.VAE.DecodeFLOPs(1, h, h).Total(), sdm.VAE.DecodeFLOPs(1, 64, 64).Total())
		})
	}
}

// BenchmarkSD21BaseBlock runs the first down block of the real SD 2.1-base UNet (two 320-channel
// resnets and transformers with 4096-query self-attention at 64x64, random weights) once, to
// measure the rate at full size rather than extrapolate it from the tiny fixture. Slow: about
// 100 GFLOP per iteration.
func BenchmarkSD21BaseBlock(b *testing.B) {
	sdm := sd21Base(b)
	blk := sdm.UNet.Down[0]
	blk.Downsample = nil
	p := randomPipeline(b, sdm, blk.Params())
	const h = 64
	x := randomTensor(1, 1, 1, blk.In, h, h)
	temb := randomTensor(2, 1, 1, sdm.UNet.TimeEmbedDim())
	text := randomTensor(3, 1, 1, 77, sdm.UNet.Config.CrossAttentionDim)
	count := &weights.FLOPCounter{Batch: 1, TextLen: 77}
	weights.WalkBlock(blk, struct{}{}, weights.Grid{H: h, W: h}, count)
	f := count.Count
	b.Run(fmt.Sprintf("block=down_blocks.0,latent=%d", h), func(b *testing.B) {
		start := time.Now()
		if _, err := runBlock(p, blk, x, temb, text); err != nil {
			b.Fatal(err)
		}
		b.Logf("first run (compiles): %v", time.Since(start))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := runBlock(p, blk, x, temb, text); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(f.Total()/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
		b.ReportMetric(sdm.UNet.FLOPs(2, 64, 64, 77).Total()/(f.Total()/(b.Elapsed().Seconds()/float64(b.N))), "sd21base-512-step-s")
	})
}
