package subject

import (
	"fmt"
	"math"

	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/server/engine/sd"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// Step takes one optimisation step and reports it.
func (t *Trainer) Step() (Progress, error) {
	d, err := t.draws.Draw(t.done, len(t.mean), t.sched.Len()-t.opts.MinTimestep, len(t.mean[0]))
	if err != nil {
		return Progress{}, err
	}
	d.Timestep += t.opts.MinTimestep
	if d.Image < 0 || d.Image >= len(t.mean) || d.Timestep < 0 || d.Timestep >= t.sched.Len() ||
		len(d.EpsLatent) != len(t.mean[0]) || len(d.Noise) != len(t.mean[0]) {
		return Progress{}, fmt.Errorf("step %d: draws out of range (image %d, timestep %d, %d/%d values)",
			t.done, d.Image, d.Timestep, len(d.EpsLatent), len(d.Noise))
	}
	in, err := t.stepInputs(d)
	if err != nil {
		return Progress{}, fmt.Errorf("step %d: %w", t.done, err)
	}
	if t.step == nil {
		if t.step, err = gctx.NewExec(t.p.Backend, t.ctx, t.stepGraph); err != nil {
			return Progress{}, fmt.Errorf("training step graph: %w", err)
		}
	}
	outs, err := t.step.Exec(in...)
	if err != nil {
		return Progress{}, fmt.Errorf("step %d: %w", t.done, err)
	}
	t.decayTable(float32(1 - t.opts.LearningRate*t.opts.WeightDecay))
	vals := make([]float64, len(outs))
	for i, o := range outs {
		vals[i] = float64(tensors.ToScalar[float32](o))
		o.FinalizeAll()
	}
	t.done++
	p := Progress{Step: t.done, Steps: t.opts.Steps, Image: d.Image, Timestep: d.Timestep,
		Loss: vals[0], MSE: vals[1], First: vals[2], Second: vals[3], GradNorm: vals[4]}
	if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) {
		return p, fmt.Errorf("step %d: the loss is %v (try a lower learning rate)", p.Step, p.Loss)
	}
	return p, nil
}

// stepInputs computes the step's host-side inputs the way the official loop does: the latent
// sample, the noised latent and target (DDPM add_noise, epsilon or velocity), the timestep
// projection, and AdamW's scalars in float64 (Python floats) rounded to float32.
func (t *Trainer) stepInputs(d Draw) ([]any, error) {
	mean, std := t.mean[d.Image], t.std[d.Image]
	sf := float32(t.p.Model.VAE.ScalingFactor)
	latents := make([]float32, len(mean))
	for i := range latents {
		latents[i] = float32(mean[i]+float32(std[i]*d.EpsLatent[i])) * sf
	}
	noisy, err := t.sched.AddNoise(latents, d.Noise, d.Timestep)
	if err != nil {
		return nil, err
	}
	target := d.Noise
	if t.predictV {
		if target, err = t.sched.GetVelocity(latents, d.Noise, d.Timestep); err != nil {
			return nil, err
		}
	}
	tp := t.p.Model.UNet.TimeProj
	tproj := nn.TimestepEmbedding([]float32{float32(d.Timestep)}, tp.Channels, tp.FlipSinToCos, tp.FreqShift)
	ids := t.state.local
	o := t.opts
	n := float64(t.done + 1) // torch's step count, from 1
	first := float32(0)
	if t.done == 0 {
		first = 1
	}
	return []any{
		tensors.FromFlatDataAndDimensions(noisy, t.latent...),
		tensors.FromFlatDataAndDimensions(tproj, 1, tp.Channels),
		tensors.FromFlatDataAndDimensions(ids, 1, len(ids)),
		tensors.FromFlatDataAndDimensions(target, t.latent...),
		tensors.FromScalar(first),
		tensors.FromScalar(float32(1 - o.LearningRate*o.WeightDecay)),
		tensors.FromScalar(float32(o.LearningRate / (1 - math.Pow(o.Beta1, n)))),
		tensors.FromScalar(float32(math.Sqrt(1 - math.Pow(o.Beta2, n)))),
	}, nil
}

// stepGraph is one training step: the loss, its gradient with respect to the text encoder
// only (back through the frozen UNet), clipping and AdamW, written into the variables. It
// returns loss, mse, the two preservation norms and the gradient norm before clipping.
func (t *Trainer) stepGraph(ctx *gctx.Context, in []*Node) []*Node {
	noisy, tproj, ids, target, first := in[0], in[1], in[2], in[3], in[4]
	decay, stepSize, bc2Sqrt := in[5], in[6], in[7]
	g := noisy.Graph()
	m := t.p.Model
	params := make([]*Node, len(t.state.params))
	for i, v := range t.state.params {
		params[i] = v.ValueGraph(g)
	}
	tokens := Gather(params[0], InsertAxes(ids, -1)) // the prompt's rows of the token table
	emb := sd.TextEncoderTokensGraph(ctx, m.TextEncoder, tokens)
	// E0 is this step's embedding at the first step (so both norms are exactly 0 there) and
	// the stored one afterwards; it never carries a gradient.
	e0 := Add(Mul(first, StopGradient(emb)), Mul(OneMinus(first), t.state.e0.ValueGraph(g)))
	t.state.e0.SetValueGraph(e0)
	rows := ReduceSum(Square(Sub(e0, emb)), -1) // [1, length]: squared distance per token
	firstRows, laterRows := t.rowMasks(g)
	lFirst := safeSqrt(ReduceAllSum(Mul(rows, firstRows)))
	lSecond := safeSqrt(ReduceAllSum(Mul(rows, laterRows)))

	pred := sd.UNetGraph(ctx, m.UNet, noisy, tproj, emb, nil)
	mse := ReduceAllMean(Square(Sub(pred, target)))
	loss := Add(mse, Add(MulScalar(lFirst, t.opts.FirstWeight), MulScalar(lSecond, t.opts.SecondWeight)))

	grads := Gradient(loss, params...)
	norm := globalNorm(grads)
	if t.opts.MaxGradNorm > 0 {
		// clip_grad_norm_: scale by max_norm/(norm+1e-6) when that is below 1.
		coef := MinScalar(Div(Scalar(g, norm.DType(), t.opts.MaxGradNorm), AddScalar(norm, 1e-6)), 1)
		for i := range grads {
			grads[i] = Mul(grads[i], coef)
		}
	}
	t.adamW(params, grads, decay, stepSize, bc2Sqrt)
	return []*Node{loss, mse, lFirst, lSecond, norm}
}

// adamW is torch.optim.AdamW's update (weight decay applied to the parameter first, bias
// corrections, epsilon outside the square root).
func (t *Trainer) adamW(params, grads []*Node, decay, stepSize, bc2Sqrt *Node) {
	o := t.opts
	g := decay.Graph()
	// scale is each token-table row's learning rate over LearningRate: wordLR/lr on the word's
	// rows, 1 elsewhere (a second AdamW parameter group; its weight decay scales the same way).
	scale := t.rowLRScale(g)
	for i, p := range params {
		grad := grads[i]
		m := t.state.m[i].ValueGraph(g)
		v := t.state.v[i].ValueGraph(g)
		m = Add(MulScalar(m, o.Beta1), MulScalar(grad, 1-o.Beta1))
		v = Add(MulScalar(v, o.Beta2), MulScalar(Mul(grad, grad), 1-o.Beta2))
		denom := AddScalar(Div(Sqrt(v), bc2Sqrt), o.Epsilon)
		update := Mul(stepSize, Div(m, denom))
		if i == 0 && scale != nil {
			// decay is 1 - lr·wd; the word's rows take 1 - wordLR·wd.
			p = Sub(Mul(p, OneMinus(Mul(OneMinus(decay), scale))), Mul(update, scale))
		} else {
			p = Sub(Mul(p, decay), update)
		}
		t.state.params[i].SetValueGraph(p)
		t.state.m[i].SetValueGraph(m)
		t.state.v[i].SetValueGraph(v)
	}
}

// rowLRScale is the [rows, 1] learning-rate scale of params[0]'s token rows, or nil when the
// word's rows train at the common rate.
func (t *Trainer) rowLRScale(g *Graph) *Node {
	lr, wlr := t.opts.LearningRate, t.opts.wordLR()
	if wlr == lr {
		return nil
	}
	word := map[int]bool{}
	for _, id := range t.ids[t.at : t.at+t.tokens] {
		word[id] = true
	}
	s := make([]float32, len(t.state.rows))
	for i, id := range t.state.rows {
		s[i] = 1
		if word[id] {
			s[i] = float32(wlr / lr)
		}
	}
	return Reshape(Const(g, s), len(s), 1)
}

// rowMasks select the embedding rows of the two preservation terms (see preservedRows).
// Masks rather than slices, because Slice has no gradient on simplego.
func (t *Trainer) rowMasks(g *Graph) (first, later *Node) {
	n := len(t.ids)
	a, b := preservedRows(n, t.at, t.tokens)
	return Reshape(Const(g, a), 1, n), Reshape(Const(g, b), 1, n)
}

// preservedRows are the 0/1 row weights of the two preservation terms for a prompt of n rows
// whose word's k tokens start at row at: every row before the word (officially only
// <|startoftext|>, row 0, as the word alone follows it) and every row after it (officially
// rows k+1 onwards).
func preservedRows(n, at, k int) (before, after []float32) {
	before, after = make([]float32, n), make([]float32, n)
	for i := range at {
		before[i] = 1
	}
	for i := at + k; i < n; i++ {
		after[i] = 1
	}
	return before, after
}

// safeSqrt is sqrt with a zero gradient at 0, as torch.norm's backward masks it (the first
// step's norms are exactly 0).
func safeSqrt(x *Node) *Node {
	pos := GreaterThan(x, ZerosLike(x))
	return Where(pos, Sqrt(Where(pos, x, OnesLike(x))), ZerosLike(x))
}

// globalNorm is the 2-norm of all gradients together.
func globalNorm(grads []*Node) *Node {
	var sum *Node
	for _, g := range grads {
		s := ReduceAllSum(Square(g))
		if sum == nil {
			sum = s
		} else {
			sum = Add(sum, s)
		}
	}
	return Sqrt(sum)
}
