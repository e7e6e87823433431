package pretrain

import (
	"fmt"
	"github.com/cones2web/cones2/server/pretrain/dotgrad"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Optimiser holds the AdamW settings of one phase.
type Optimiser struct {
	LR          float64 // peak learning rate
	Warmup      int     // linear warm-up steps
	WeightDecay float64 // decoupled (AdamW)
	ClipNorm    float64 // global gradient-norm clip; 0 for none
}

// lrAt is the learning rate at step (0-based) of total: linear warm-up, then cosine decay to a
// tenth of the peak.
func (o Optimiser) lrAt(step, total int) float64 {
	if step < o.Warmup {
		return o.LR * float64(step+1) / float64(o.Warmup)
	}
	span := max(total-o.Warmup, 1)
	frac := min(float64(step-o.Warmup)/float64(span), 1)
	return o.LR * (0.1 + 0.9*0.5*(1+cosPi(frac)))
}

// lossFn builds a phase's objective from its inputs: the scalar loss first, then any values to
// report (scalars).
type lossFn func(ctx *context.Context, inputs []*Node) []*Node

// stepper runs one optimisation step of a phase per call: the loss, its gradients with respect
// to the trainable variables the graph uses, global-norm clipping, the AdamW update and the
// exponential moving average of the weights, in one compiled graph.
type stepper struct {
	ctx  *context.Context
	exec *context.Exec
	lr   *context.Variable
	ema  []emaPair
}

// emaPair is a trained variable and its moving average.
type emaPair struct{ v, avg *context.Variable }

// emaScope is the scope under which the moving averages mirror the trained variables: the
// average of /unet/a/b/weight is /ema/unet/a/b/weight.
const emaScope = "/ema"

// newStepper compiles (lazily, on the first call) the training step of loss. scope names the
// optimiser's moments, so that phases sharing a context keep separate AdamW state. ema lists
// the variables whose moving average is kept (created from their current values unless a
// checkpoint restored them); the decay is given per step.
func newStepper(backend backends.Backend, ctx *context.Context, scope string, o Optimiser, loss lossFn, ema []*context.Variable) (*stepper, error) {
	dotgrad.Register()
	pairs, err := emaPairs(ctx, ema)
	if err != nil {
		return nil, err
	}
	opt, ok := optimizers.Adam().Scope(scope).WeightDecay(o.WeightDecay).Betas(0.9, 0.999).Epsilon(1e-8).Done().(gradientOptimiser)
	if !ok {
		return nil, fmt.Errorf("gomlx's adam does not take precomputed gradients")
	}
	lr := optimizers.LearningRateVar(ctx, dtypes.Float32, o.LR)
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, inputs []*Node) []*Node {
		decay := inputs[len(inputs)-1]
		outs := loss(ctx, inputs[:len(inputs)-1])
		grads := ctx.BuildTrainableVariablesGradientsGraph(outs[0])
		norm := globalNorm(grads)
		if o.ClipNorm > 0 {
			scale := Inverse(Max(OnePlus(ZerosLike(norm)), DivScalar(norm, o.ClipNorm)))
			for i, g := range grads {
				grads[i] = Mul(g, ConvertDType(scale, g.DType()))
			}
		}
		opt.UpdateGraphWithGradients(ctx, grads, outs[0].DType())
		for _, p := range pairs {
			// The variable's value node is now its updated value.
			g := decay.Graph()
			avg := p.avg.ValueGraph(g)
			p.avg.SetValueGraph(Add(Mul(avg, decay), Mul(p.v.ValueGraph(g), OneMinus(decay))))
		}
		return append(outs, norm)
	})
	if err != nil {
		return nil, err
	}
	return &stepper{ctx: ctx, exec: exec, lr: lr, ema: pairs}, nil
}

// emaPairs finds or creates the moving average of every variable in vars.
func emaPairs(ctx *context.Context, vars []*context.Variable) ([]emaPair, error) {
	var out []emaPair
	c := ctx.Checked(false)
	for _, v := range vars {
		avg := c.GetVariableByScopeAndName(emaScope+v.Scope(), v.Name())
		if avg == nil {
			t, err := v.Value()
			if err != nil {
				return nil, err
			}
			clone, err := t.LocalClone()
			if err != nil {
				return nil, err
			}
			avg = c.InAbsPath(emaScope+v.Scope()).VariableWithValue(v.Name(), clone)
		}
		out = append(out, emaPair{v: v, avg: avg.SetTrainable(false)})
	}
	return out, nil
}

// emaDecay is the moving average's decay at step: warmed up as (1+step)/(10+step), so that the
// early average does not hold on to the random initialisation, up to max.
func emaDecay(step int, max float64) float64 {
	return min(max, float64(1+step)/float64(10+step))
}

// gradientOptimiser is an optimiser that applies gradients computed by the caller (GoMLX's Adam
// is one), so that they can be clipped first.
type gradientOptimiser interface {
	UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType)
}

// globalNorm is the L2 norm of all gradients together.
func globalNorm(grads []*Node) *Node {
	var sum *Node
	for _, g := range grads {
		s := ReduceAllSum(Square(ConvertDType(g, dtypes.Float32)))
		if sum == nil {
			sum = s
		} else {
			sum = Add(sum, s)
		}
	}
	return Sqrt(sum)
}

// step runs one step at learning rate lr (and moving-average decay) and returns the reported scalars: the loss, the
// phase's extra values, then the gradient norm before clipping.
func (s *stepper) step(lr, decay float64, inputs ...*tensors.Tensor) ([]float64, error) {
	if err := s.lr.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return nil, fmt.Errorf("set learning rate: %w", err)
	}
	args := make([]any, len(inputs), len(inputs)+1)
	for i, in := range inputs {
		args[i] = in
	}
	args = append(args, tensors.FromScalar(float32(decay)))
	outs, err := s.exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	vals := make([]float64, len(outs))
	for i, o := range outs {
		v, err := tensors.CopyFlatData[float32](o)
		o.FinalizeAll()
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("output %d is not a float32 scalar", i)
		}
		vals[i] = float64(v[0])
	}
	return vals, nil
}

func cosPi(x float64) float64 { return math.Cos(math.Pi * x) }
