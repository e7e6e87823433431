package sd

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TextEncoder is the loaded CLIP text encoder (prompt tokens -> text embedding).
type TextEncoder struct {
	Desc *weights.TextEncoder
	exec *executor
}

// Encode returns last_hidden_state, [len(ids), length, width] flat, for rows of token ids of one
// length (77 for Stable Diffusion, as the tokenizer pads). This is the conditioning the UNet
// attends to, before any Cones 2 residual is added.
func (t *TextEncoder) Encode(ids [][]int) (weights.Tensor, error) {
	c := t.Desc.Config
	if len(ids) == 0 {
		return weights.Tensor{}, fmt.Errorf("text encoder: no token rows")
	}
	n := len(ids[0])
	if n == 0 || n > c.MaxPositionEmbeddings {
		return weights.Tensor{}, &ShapeError{What: "text encoder: token ids", Problem: fmt.Sprintf(
			"%d tokens per row, want 1..%d (max_position_embeddings)", n, c.MaxPositionEmbeddings)}
	}
	flat := make([]int32, 0, len(ids)*n)
	for r, row := range ids {
		if len(row) != n {
			return weights.Tensor{}, &ShapeError{What: "text encoder: token ids", Problem: fmt.Sprintf(
				"row %d has %d tokens, row 0 has %d", r, len(row), n)}
		}
		for i, id := range row {
			if id < 0 || id >= c.VocabSize {
				return weights.Tensor{}, fmt.Errorf("text encoder: row %d token %d: id %d outside the vocabulary 0..%d", r, i, id, c.VocabSize-1)
			}
			flat = append(flat, int32(id))
		}
	}
	out, err := t.exec.run("text_encoder", func(ctx *context.Context, in []*Node) []*Node {
		return []*Node{TextEncoderGraph(ctx, t.Desc, in[0])}
	}, tensors.FromFlatDataAndDimensions(flat, len(ids), n))
	if err != nil {
		return weights.Tensor{}, fmt.Errorf("text encoder: %w", err)
	}
	return weights.Tensor{Shape: []int{len(ids), n, c.HiddenSize}, Data: out[0]}, nil
}
