//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
)

// bench runs engine.Bench on the loaded model and returns the report and its text.
func bench(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct {
		Graph      string
		H, W, Reps int
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	r, err := eng.Bench(ctx, req.Graph, req.H, req.W, req.Reps)
	if err != nil {
		return nil, err
	}
	return map[string]any{"report": r, "text": r.String()}, nil
}

// benchGenerate runs engine.BenchGenerate on the loaded model.
func benchGenerate(ctx context.Context, raw json.RawMessage) (any, error) {
	var req struct{ Size, Steps, Guided, Reps int }
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	r, err := eng.BenchGenerate(ctx, req.Size, req.Steps, req.Guided, req.Reps)
	if err != nil {
		return nil, err
	}
	return map[string]any{"report": r, "text": r.String()}, nil
}
