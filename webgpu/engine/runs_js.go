//go:build js && wasm

package engine

import (
	"context"
	"fmt"

	"github.com/cones2web/cones2/gpugraph"
)

// TextEncoder runs the text encoder on token-id rows (each of the position count, 77) and returns
// last_hidden_state [len(ids), 77, width].
func (e *Engine) TextEncoder(ctx context.Context, ids [][]int) ([]float32, error) {
	key := fmt.Sprintf("text/%d", len(ids))
	p, err := e.program(ctx, key, func() (*gpugraph.Graph, error) {
		return gpugraph.TextEncoder(e.Model.TextEncoder, gpugraph.TextOptions{Batch: len(ids), F16: e.F16, Limit: e.limit()})
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	if err := setIDs(p, e.Model.TextEncoder.Config.MaxPositionEmbeddings, e.Model.TextEncoder.Config.VocabSize, ids); err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	if err := p.Run(); err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	return p.ReadF32(ctx, "hidden")
}

// setIDs validates and writes token rows into the "ids" input.
func setIDs(p *Program, length, vocab int, rows [][]int) error {
	var ids []uint32
	for i, r := range rows {
		if len(r) != length {
			return fmt.Errorf("prompt %d has %d tokens, want %d (pad to the text encoder's length)", i, len(r), length)
		}
		for _, id := range r {
			if id < 0 || id >= vocab {
				return fmt.Errorf("prompt %d: token id %d outside the vocabulary of %d", i, id, vocab)
			}
			ids = append(ids, uint32(id))
		}
	}
	return p.SetU32("ids", ids)
}

// UNetCall is one direct UNet evaluation (the component parity tests).
type UNetCall struct {
	Batch, H, W int
	Sample      []float32 // [Batch, in, H, W]
	Context     []float32 // [Batch, 77, cross dim]
	Timestep    float64
	// Edit applies the layout edit to sample EditBatch with coefficient
	// guidance_weight·log(1+σ²); Layout maps query counts to [queries, 77] maps.
	Edit      bool
	EditBatch int
	Coef      float32
	Layout    map[int][]float32
}

// UNet evaluates the UNet once and returns its output [Batch, out, H, W].
func (e *Engine) UNet(ctx context.Context, c UNetCall) ([]float32, error) {
	o := gpugraph.UNetOptions{Batch: c.Batch, H: c.H, W: c.W, F16: e.F16, Limit: e.limit(), Edit: c.Edit, EditBatch: c.EditBatch}
	key := fmt.Sprintf("unet/%+v", o)
	p, err := e.program(ctx, key, func() (*gpugraph.Graph, error) { return gpugraph.UNet(e.Model.UNet, o) }, nil)
	if err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	if err := p.SetF32("sample", 0, c.Sample); err != nil {
		return nil, err
	}
	if err := p.SetF32("context", 0, c.Context); err != nil {
		return nil, err
	}
	if c.Edit {
		if err := setLayout(p, c.Layout); err != nil {
			return nil, fmt.Errorf("unet: %w", err)
		}
	}
	if err := p.SetF32("scalars", 0, gpugraph.StepScalars(e.Model.UNet, c.Batch, c.Timestep, c.Coef, 0)); err != nil {
		return nil, err
	}
	if err := p.Run(); err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	return p.ReadF32(ctx, "out")
}

// setLayout uploads the layout map of every grid the program's cross-attention layers use.
func setLayout(p *Program, maps map[int][]float32) error {
	for name, id := range p.G.Inputs {
		n := p.G.Tensors[id].Len / 77
		if name != gpugraph.LayoutInput(n) {
			continue
		}
		m, ok := maps[n]
		if !ok {
			return fmt.Errorf("no layout map for %d queries", n)
		}
		if len(m) != n*77 {
			return fmt.Errorf("layout map for %d queries has %d values, want %d", n, len(m), n*77)
		}
		if err := p.SetF32(name, 0, m); err != nil {
			return err
		}
	}
	return nil
}
