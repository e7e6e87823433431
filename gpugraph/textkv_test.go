package gpugraph

import (
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// TestUNetTextKVSD21Base: with the text K/V cache a UNet evaluation of SD 2.1-base issues no
// dispatch that projects the text embedding (and no timestep-projection kernel); the K/V graph
// has two per cross-attention layer, and the plan with the cache stays within 3.5 GB.
func TestUNetTextKVSD21Base(t *testing.T) {
	m := describeDir(t, fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"))
	o := UNetOptions{Batch: 2, H: 64, W: 64, F16: true, Edit: true, EditBatch: 1, CFG: true, TextKV: true}
	g, err := UNet(m.UNet, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := g.TextKVOps(); n != 0 {
		t.Fatalf("unet step: %d text K/V dispatches, want 0", n)
	}
	for _, op := range g.Ops {
		if strings.HasSuffix(op.Name, "attn2.to_k") || strings.HasSuffix(op.Name, "attn2.to_v") {
			t.Fatalf("unet step dispatches %s", op.Name)
		}
		if op.Kernel.Family() == "timestep" {
			t.Fatalf("unet step runs the timestep kernel (%s)", op.Name)
		}
	}
	plain, err := UNet(m.UNet, UNetOptions{Batch: 2, H: 64, W: 64, F16: true, Edit: true, EditBatch: 1, CFG: true})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := UNetTextKV(m.UNet, o)
	if err != nil {
		t.Fatal(err)
	}
	cross := 0
	for _, tr := range m.UNet.Transformers() {
		cross += len(tr.Blocks)
	}
	if cross != 16 || len(kv.Ops) != 2*cross || kv.TextKVOps() != 2*cross || plain.TextKVOps() != 2*cross {
		t.Fatalf("%d cross-attention layers: K/V graph %d ops (%d marked), plain unet %d marked", cross, len(kv.Ops), kv.TextKVOps(), plain.TextKVOps())
	}
	if len(plain.Ops)-len(g.Ops) != 2*cross {
		t.Errorf("unet step %d dispatches, without the cache %d", len(g.Ops), len(plain.Ops))
	}
	t.Logf("unet step: %d dispatches %.1f GFLOP (without the cache %d, %.1f GFLOP); K/V once per generation: %d dispatches %.2f GFLOP",
		len(g.Ops), g.FLOPs()/1e9, len(plain.Ops), plain.FLOPs()/1e9, len(kv.Ops), kv.FLOPs()/1e9)
	// WebGPU's default binding limit (the decoder in tiles): within 3.5 GB; a 2 GiB limit
	// (one-tile decode) within 3.5 GiB. The cache itself is 2 x 2 x 77 x 12480 floats.
	for _, c := range []struct {
		limit, max uint64
	}{{128 << 20, 3_500_000_000}, {2 << 30, 3584 << 20}} {
		mem, err := PlanPipeline(m, PipelineOptions{Width: 512, Height: 512, F16: true, Limit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("limit %d MiB: %v", c.limit>>20, mem)
		if mem.TextKV != 4*2*2*77*12480 || mem.Peak > c.max {
			t.Errorf("memory plan %v: over %d bytes or no K/V cache", mem, c.max)
		}
	}
	guided := 0
	for _, op := range g.Ops {
		if op.Guided {
			guided++
		}
	}
	if guided != 2*cross {
		t.Errorf("%d guided-only dispatches, want 2 per cross-attention layer", guided)
	}
}

// TestUNetTextKVFixture: the UNet with its text K/V from UNetTextKV matches the fixture.
func TestUNetTextKVFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			m := loadModel(t, v)
			ts, key := firstUNetTimestep(t, v)
			sample := v.Tensor(t, key+".sample")
			o := UNetOptions{Batch: sample.Shape[0], H: sample.Shape[2], W: sample.Shape[3], TextKV: true}
			kv, err := UNetTextKV(m.desc.UNet, o)
			if err != nil {
				t.Fatal(err)
			}
			cache := m.run(t, kv, weights.UNetDir, map[string]wgsl.Mem{"context": {F: v.Tensor(t, key+".encoder_hidden_states").F32}})
			g, err := UNet(m.desc.UNet, o)
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]wgsl.Mem{"sample": {F: sample.F32}, "context": {F: v.Tensor(t, key+".encoder_hidden_states").F32},
				"scalars": {F: StepScalars(m.desc.UNet, o.Batch, ts, 0, 0)}}
			for name, mem := range cache {
				in[name] = mem
			}
			out := m.run(t, g, weights.UNetDir, in)
			fixture.AssertClose(t, key+" (text K/V cache)", out["out"].F, v.Tensor(t, key+".out").F32, 1e-4)
		})
	}
}
