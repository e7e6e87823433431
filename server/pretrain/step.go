package pretrain

import (
	"fmt"
	"math"
	"sync"

	"github.com/cones2web/cones2/server/engine/dotgrad"
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
	return o.LR * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac)))
}

// lossFn builds a phase's objective from its inputs: the scalar loss first, then any values to
// report (scalars).
type lossFn func(ctx *context.Context, inputs []*Node) []*Node

// stepper runs one optimisation step of a phase per call, data-parallel: each worker computes
// the loss and the gradients with respect to the trainable variables on its share of the batch
// (concurrently: with simplego's one-op-at-a-time execution, each share keeps a core busy), then
// one update graph averages the
// gradients, clips their global norm, applies AdamW and updates the moving average of the
// weights. The split is fixed by the options, not by the machine, so results do not depend on
// the number of cores.
type stepper struct {
	ctx     *context.Context
	workers []*context.Exec
	update  *context.Exec
	lr      *context.Variable
	ema     []emaPair

	mu      sync.Mutex
	vars    []*context.Variable // the trainable variables the loss uses, in gradient order
	reports int                 // scalars the loss reports (loss first)
}

// emaPair is a trained variable and its moving average.
type emaPair struct{ v, avg *context.Variable }

// emaScope is the scope under which the moving averages mirror the trained variables: the
// average of /unet/a/b/weight is /ema/unet/a/b/weight.
const emaScope = "/ema"

// newStepper prepares the training step of loss with the given number of workers on backend
// (its graphs compile on the first call). Every worker has its own compiled graph; they share
// the variables, which only the update graph changes. Running them concurrently is safe on
// simplego in its one-op-at-a-time mode: its pool's slots are only taken by leaf tasks (the
// splits of a large product), which never wait for a slot themselves. scope names the optimiser's moments, so that phases
// sharing a context keep separate AdamW state. ema lists the variables whose moving average is
// kept (created from their current values unless a checkpoint restored them).
func newStepper(backend backends.Backend, workers int, ctx *context.Context, scope string, o Optimiser, loss lossFn, ema []*context.Variable) (*stepper, error) {
	dotgrad.Register()
	pairs, err := emaPairs(ctx, ema)
	if err != nil {
		return nil, err
	}
	opt, ok := optimizers.Adam().Scope(scope).WeightDecay(o.WeightDecay).Betas(0.9, 0.999).Epsilon(1e-8).Done().(gradientOptimiser)
	if !ok {
		return nil, fmt.Errorf("gomlx's adam does not take precomputed gradients")
	}
	s := &stepper{ctx: ctx, lr: optimizers.LearningRateVar(ctx, dtypes.Float32, o.LR), ema: pairs}
	for range workers {
		exec, err := context.NewExec(backend, ctx, s.gradientGraph(loss))
		if err != nil {
			return nil, err
		}
		s.workers = append(s.workers, exec)
	}
	s.update, err = context.NewExec(backend, ctx, s.updateGraph(opt, o.ClipNorm, workers))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// gradientGraph returns a worker's graph: the reported scalars, then the gradients.
func (s *stepper) gradientGraph(loss lossFn) func(*context.Context, []*Node) []*Node {
	return func(ctx *context.Context, inputs []*Node) []*Node {
		outs := loss(ctx, inputs)
		grads := ctx.BuildTrainableVariablesGradientsGraph(outs[0])
		var vars []*context.Variable
		for v := range ctx.IterVariables() {
			if v.Trainable && v.InUseByGraph(outs[0].Graph()) {
				vars = append(vars, v)
			}
		}
		s.mu.Lock()
		s.vars, s.reports = vars, len(outs)
		s.mu.Unlock()
		return append(outs, grads...)
	}
}

// updateGraph returns the update graph: inputs are every worker's gradients (worker-major),
// then the moving average's decay; the output is the global gradient norm before clipping.
func (s *stepper) updateGraph(opt gradientOptimiser, clip float64, workers int) func(*context.Context, []*Node) []*Node {
	return func(ctx *context.Context, inputs []*Node) []*Node {
		g := inputs[0].Graph()
		n := len(s.vars)
		grads := make([]*Node, n)
		for i := range grads {
			sum := inputs[i]
			for w := 1; w < workers; w++ {
				sum = Add(sum, inputs[w*n+i])
			}
			grads[i] = DivScalar(sum, float64(workers))
		}
		decay := inputs[workers*n]
		// The optimiser pairs gradients with the trainable variables the graph uses, in
		// context order: use exactly those the workers differentiated.
		for _, v := range s.vars {
			v.ValueGraph(g)
		}
		norm := globalNorm(grads)
		if clip > 0 {
			scale := Inverse(Max(OnePlus(ZerosLike(norm)), DivScalar(norm, clip)))
			for i, gr := range grads {
				grads[i] = Mul(gr, ConvertDType(scale, gr.DType()))
			}
		}
		opt.UpdateGraphWithGradients(ctx, grads, dtypes.Float32)
		for _, p := range s.ema {
			// The variable's value node is now its updated value.
			avg := p.avg.ValueGraph(g)
			p.avg.SetValueGraph(Add(Mul(avg, decay), Mul(p.v.ValueGraph(g), OneMinus(decay))))
		}
		return []*Node{norm}
	}
}

// gradientOptimiser is an optimiser that applies gradients computed by the caller (GoMLX's Adam
// is one), so that they can be averaged and clipped first.
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

// step runs one step at learning rate lr and moving-average decay, shares[w] being worker w's
// inputs, and returns the reported scalars averaged over the workers, then the gradient norm
// before clipping.
func (s *stepper) step(lr, decay float64, shares ...[]*tensors.Tensor) ([]float64, error) {
	if len(shares) != len(s.workers) {
		return nil, fmt.Errorf("%d input shares for %d workers", len(shares), len(s.workers))
	}
	if err := s.lr.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return nil, fmt.Errorf("set learning rate: %w", err)
	}
	outs := make([][]*tensors.Tensor, len(s.workers))
	errs := make([]error, len(s.workers))
	var wg sync.WaitGroup
	for w, exec := range s.workers {
		wg.Go(func() {
			args := make([]any, len(shares[w]))
			for i, in := range shares[w] {
				args[i] = in
			}
			outs[w], errs[w] = exec.Exec(args...)
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("worker %d: %w", w, err)
		}
	}
	vals := make([]float64, s.reports, s.reports+1)
	var grads []any
	for _, o := range outs {
		for i := range s.reports {
			v, err := scalar(o[i])
			if err != nil {
				return nil, fmt.Errorf("output %d: %w", i, err)
			}
			vals[i] += v / float64(len(outs))
		}
		for _, g := range o[s.reports:] {
			grads = append(grads, g)
		}
	}
	res, err := s.update.Exec(append(grads, tensors.FromScalar(float32(decay)))...)
	for _, g := range grads {
		g.(*tensors.Tensor).FinalizeAll()
	}
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	norm, err := scalar(res[0])
	if err != nil {
		return nil, err
	}
	return append(vals, norm), nil
}

func scalar(t *tensors.Tensor) (float64, error) {
	v, err := tensors.CopyFlatData[float32](t)
	t.FinalizeAll()
	if err != nil || len(v) != 1 {
		return 0, fmt.Errorf("not a float32 scalar")
	}
	return float64(v[0]), nil
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
