package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
)

// PipelineOptions describe one generation setting for the memory plan.
type PipelineOptions struct {
	Width, Height int // image size in pixels
	F16           bool
	// Limit is the largest buffer a kernel may bind: min(maxBufferSize,
	// maxStorageBufferBindingSize) of the device; 0 means WebGPU's default 128 MiB.
	Limit uint64
	// VAEBudget is the decoder activation memory above which it runs in tiles (0: DefaultVAEBudget).
	VAEBudget uint64
}

// Memory is the GPU memory a generation needs, in bytes.
type Memory struct {
	Weights     uint64 // text encoder + UNet + VAE decoder parameters as stored
	TextEncoder uint64 // activations and inputs/outputs of the text-encoder graph (batch 2)
	UNet        uint64 // ... of one UNet evaluation (batch 2, layout edit, CFG), TextKV included
	// TextKV is the cache of every cross-attention layer's text keys and values (both CFG
	// halves), computed once per generation and kept with the UNet's buffers.
	TextKV uint64
	VAE    uint64 // ... of the VAE decoder graph (one tile when tiled)
	// Peak is Weights + UNet + max(TextEncoder, VAE): the engine keeps the UNet's buffers for the
	// whole run and holds the text encoder's and the decoder's only while they run.
	Peak    uint64
	Largest uint64 // the largest single buffer
	// Tiles is the VAE decode plan (one tile: untiled).
	Tiles TilePlan
	// FLOPs of one text encoding, one UNet evaluation and one (whole) decode.
	TextFLOPs, UNetFLOPs, VAEFLOPs float64
	// Dispatches of one UNet evaluation.
	UNetDispatches int
}

func (m Memory) String() string {
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	return fmt.Sprintf("peak %.0f MiB (weights %.0f, unet %.0f with text K/V cache %.1f, text %.0f, vae %.0f; largest buffer %.0f MiB; vae tiles %d)",
		mib(m.Peak), mib(m.Weights), mib(m.UNet), mib(m.TextKV), mib(m.TextEncoder), mib(m.VAE), mib(m.Largest), len(m.Tiles.Tiles))
}

// GraphBytes is what a graph allocates besides weights: planned activation slots, inputs,
// outputs and constants.
func GraphBytes(g *Graph, p *Plan) (total, largest uint64) {
	total = p.Bytes()
	for _, s := range p.Slots {
		largest = max(largest, s)
	}
	for _, t := range g.Tensors {
		if t.Kind == Input || t.Kind == Output || t.Kind == Const {
			total += t.Bytes()
			largest = max(largest, t.Bytes())
		}
	}
	return total, largest
}

// PlanPipeline builds the graphs of one generation of m at the given size and reports the GPU
// memory it needs. It fails with a *TooLargeError only when no split of the work fits the limit.
func PlanPipeline(m *weights.Model, o PipelineOptions) (Memory, error) {
	f := m.VAE.DownsampleFactor()
	if o.Width%f != 0 || o.Height%f != 0 {
		return Memory{}, fmt.Errorf("graph: image %dx%d is not a multiple of %d", o.Width, o.Height, f)
	}
	h, w := o.Height/f, o.Width/f
	var mem Memory
	te, err := TextEncoder(m.TextEncoder, TextOptions{Batch: 2, F16: o.F16, Limit: o.Limit, Residual: true})
	if err != nil {
		return mem, fmt.Errorf("text encoder: %w", err)
	}
	uo := UNetOptions{Batch: 2, H: h, W: w, F16: o.F16, Limit: o.Limit, Edit: true, EditBatch: 1, CFG: true, TextKV: true}
	un, err := UNet(m.UNet, uo)
	if err != nil {
		return mem, fmt.Errorf("unet: %w", err)
	}
	kv, err := UNetTextKV(m.UNet, uo)
	if err != nil {
		return mem, fmt.Errorf("unet: %w", err)
	}
	for _, id := range kv.Outputs {
		mem.TextKV += kv.Tensors[id].Bytes()
	}
	for _, t := range kv.Tensors {
		if t.Kind == Weight { // the cross-attention to_k and to_v, not in the UNet graph
			mem.Weights += t.Bytes()
			mem.Largest = max(mem.Largest, t.Bytes())
		}
	}
	mem.Tiles, err = VAETiles(m.VAE, h, w, o.F16, o.Limit, o.VAEBudget)
	if err != nil {
		return mem, fmt.Errorf("vae: %w", err)
	}
	vae, err := VAEDecoder(m.VAE, VAEOptions{H: mem.Tiles.TileH, W: mem.Tiles.TileW, F16: o.F16, Limit: o.Limit})
	if err != nil {
		return mem, fmt.Errorf("vae: %w", err)
	}
	for _, x := range []struct {
		g     *Graph
		bytes *uint64
	}{{te, &mem.TextEncoder}, {un, &mem.UNet}, {vae, &mem.VAE}} {
		b, l := GraphBytes(x.g, PlanMemory(x.g))
		*x.bytes = b // the UNet's inputs include the text K/V cache
		mem.Largest = max(mem.Largest, l)
		for _, t := range x.g.Tensors {
			if t.Kind == Weight {
				mem.Weights += t.Bytes()
				mem.Largest = max(mem.Largest, t.Bytes())
			}
		}
	}
	if !mem.Tiles.Whole() {
		// the blended full image and its pixels
		mem.VAE += uint64(4*3*o.Width*o.Height) + uint64(4*o.Width*o.Height)
	}
	mem.Peak = mem.Weights + mem.UNet + max(mem.TextEncoder, mem.VAE)
	mem.TextFLOPs, mem.UNetFLOPs = te.FLOPs(), un.FLOPs()
	mem.VAEFLOPs = vae.FLOPs() * float64(len(mem.Tiles.Tiles))
	mem.UNetDispatches = len(un.Ops)
	return mem, nil
}
