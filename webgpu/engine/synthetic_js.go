//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/webgpu/compute"
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
	"github.com/x448/float16"
)

// LoadSynthetic is Load without weight files: it reads only the folder's configs and fills every
// parameter with small pseudo-random values. It exists to benchmark full-size models (SD 2.1 at
// 512 or 768) on a real GPU where only the configs are at hand; its images mean nothing.
func LoadSynthetic(ctx context.Context, o LoadOptions) (*Engine, error) {
	dev := o.Device
	if dev == nil {
		ad, err := webgpu.RequestAdapter(ctx)
		if err != nil {
			return nil, err
		}
		if dev, err = ad.RequestDevice(ctx, webgpu.DeviceOptions{Need: webgpu.Kernels(), What: "the Stable Diffusion kernels"}); err != nil {
			return nil, err
		}
	}
	base := folderURL(o.URL)
	f, err := weights.OpenFS(httpFS{ctx: ctx, base: base})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	m, err := f.Describe()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	e, err := newEngine(dev, f, m, o)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	// one chunk of random values of each dtype, written over and over
	const chunk = 1 << 20
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]float32, chunk)
	h := make([]uint16, chunk)
	for i := range vals {
		vals[i] = float32(r.NormFloat64() * 0.02)
		h[i] = float16.Fromfloat32(vals[i]).Bits()
	}
	bytes := map[wgsl.DType][]byte{wgsl.F32: compute.Bytes(wgsl.Mem{F: vals}), wgsl.F16: compute.Bytes(wgsl.Mem{H: h})}
	params := append(append(m.TextEncoder.Params(), m.UNet.Params()...), m.VAE.PostQuantConv.Params()...)
	params = append(params, m.VAE.Decoder.Params()...)
	for _, p := range params {
		if !p.DType.IsFloat() || strings.HasPrefix(p.Name, "encoder.") {
			continue
		}
		dt := gpugraph.WeightDType(p.Shape, e.F16)
		size := uint64(dt.Size(p.NumElements()))
		buf, err := dev.CreateBuffer(p.Name, size, webgpu.UsageStorage|webgpu.UsageCopyDst)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.w[p.Name] = &Weight{Buf: buf, DType: dt, Param: p.Name}
		size = (size + 3) &^ 3
		for off := uint64(0); off < size; off += uint64(len(bytes[dt])) {
			if err := dev.Write(buf, off, bytes[dt][:min(uint64(len(bytes[dt])), size-off)]); err != nil {
				e.Close()
				return nil, err
			}
		}
		if o.OnProgress != nil {
			o.OnProgress(LoadProgress{Component: "synthetic", Done: int64(e.WeightBytes())})
		}
	}
	if err := dev.Done(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}
