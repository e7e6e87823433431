package sd

import (
	"math"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// randomVariables fills a context with seeded random parameters for params under root, scaled
// like a trained network so activations stay O(1): weights N(0, 1/fan_in), norm weights near 1,
// biases small. With float64 it serves the finite-difference gradient checks.
func randomVariables(tb testing.TB, ctx *context.Context, root string, params []weights.Param, float64s bool) {
	tb.Helper()
	g := noise.New(77)
	for _, p := range params {
		if p.Optional {
			continue
		}
		vals := make([]float32, p.NumElements())
		_ = g.Normal(vals)
		fanIn := 1
		for _, d := range p.Shape[1:] {
			fanIn *= d
		}
		scale, offset := float32(1/math.Sqrt(float64(fanIn))), float32(0)
		switch {
		case len(p.Shape) == 1 && strings.HasSuffix(p.Name, ".bias"):
			scale = 0.1
		case len(p.Shape) == 1: // norm weights
			scale, offset = 0.1, 1
		case strings.Contains(p.Name, "embedding.weight"):
			scale = 1
		}
		for i := range vals {
			vals[i] = vals[i]*scale + offset
		}
		scope, name := variableScope(root, p.Name)
		var t *tensors.Tensor
		if float64s {
			v64 := make([]float64, len(vals))
			for i, v := range vals {
				v64[i] = float64(v)
			}
			t = tensors.FromFlatDataAndDimensions(v64, p.Shape...)
		} else {
			t = tensors.FromFlatDataAndDimensions(vals, p.Shape...)
		}
		ctx.InAbsPath(scope).VariableWithValue(name, t)
	}
}

// randomPipeline is an executor over random float32 parameters of the SD 2.1-base UNet.
func randomPipeline(tb testing.TB, m *weights.Model, params []weights.Param) *executor {
	tb.Helper()
	ctx := context.New()
	randomVariables(tb, ctx, UNetScope, params, false)
	b, err := NewBackend()
	if err != nil {
		tb.Fatal(err)
	}
	return newExecutor(b, ctx)
}

// runBlock runs a down block's resnets and transformers on x ([1, in, h, w], NCHW).
func runBlock(e *executor, blk weights.Block, x, temb, text weights.Tensor) ([][]float32, error) {
	return e.run("block", func(ctx *context.Context, in []*Node) []*Node {
		b := builder{ctx: ctx, g: in[0].Graph(), root: UNetScope}
		return []*Node{blockGraph(b, blk, in[0], in[1], in[2])}
	}, tensors.FromFlatDataAndDimensions(x.Data, x.Shape...), tensors.FromFlatDataAndDimensions(temb.Data, temb.Shape...),
		tensors.FromFlatDataAndDimensions(text.Data, text.Shape...))
}

// blockGraph is a down block without its downsampler on NCHW x.
func blockGraph(b builder, blk weights.Block, x, temb, text *Node) *Node {
	h := TransposeAllAxes(x, 0, 2, 3, 1)
	h, _ = weights.WalkBlock(blk, h, gridOf(h), layers{b: b, temb: temb, text: text})
	return TransposeAllAxes(h, 0, 3, 1, 2)
}
