package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/dotgrad"
	"github.com/cones2web/cones2/server/engine/nn"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TokenEmbedding is a learned input embedding of one token: the alternative to a residual that
// the paper's Table A1 compares against (textual-inversion style: only the word's row of the
// token table changes; the text encoder and the UNet stay frozen).
type TokenEmbedding struct {
	Word string
	ID   int
	Row  []float32
}

// LearnEmbedding learns the word's token embedding from the subject's images with the diffusion
// loss alone, on a private copy of the model loaded from dir: the same images, instance prompt
// (the word alone), timesteps and noise draws as the subject trainer.
func LearnEmbedding(ctx context.Context, dir string, tok *tokenizer.Tokenizer, c CustomSubject, o CustomOptions, logf func(string, ...any)) (*TokenEmbedding, error) {
	dotgrad.Register()
	backend, err := sd.NewBackend()
	if err != nil {
		return nil, err
	}
	p, err := sd.Load(dir, backend)
	if err != nil {
		return nil, err
	}
	ids, err := tok.EncodePadded(c.Word)
	if err != nil {
		return nil, err
	}
	pos, err := tok.Positions(c.Word, c.Word)
	if err != nil || len(pos) != 1 {
		return nil, fmt.Errorf("eval: embedding: the word %q must be one token (%v)", c.Word, err)
	}
	id := ids[pos[0]]
	tableName := p.Model.TextEncoder.TokenEmbedding.Name + ".weight"
	table, err := freezeAllBut(p.Context, tableName)
	if err != nil {
		return nil, err
	}
	size := p.Model.UNet.Config.SampleSize * p.Model.VAE.DownsampleFactor()
	images, err := o.prepared(c, size)
	if err != nil {
		return nil, err
	}
	lat, err := encodeAll(p, images, size)
	if err != nil {
		return nil, err
	}
	ns, err := schedule.NewNoiseSchedule(p.Folder.Scheduler)
	if err != nil {
		return nil, err
	}
	step, err := embeddingStep(p, table, id, o.EmbeddingLR)
	if err != nil {
		return nil, err
	}
	draws := subject.Seeded(o.Seed)
	ac := ns.AlphasCumprod()
	idT := make([]int32, len(ids))
	for i, v := range ids {
		idT[i] = int32(v)
	}
	start := time.Now()
	for s := range o.EmbeddingSteps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := draws.Draw(s, len(images), len(ac), lat.per)
		if err != nil {
			return nil, err
		}
		a := float64(ac[d.Timestep])
		noisy := make([]float32, lat.per)
		for j := range noisy {
			m, sd := lat.mean[d.Image][j], lat.std[d.Image][j]
			z := (float64(m) + float64(sd)*float64(d.EpsLatent[j])) * p.Model.VAE.ScalingFactor
			noisy[j] = float32(math.Sqrt(a)*z + math.Sqrt(1-a)*float64(d.Noise[j]))
		}
		tp := p.Model.UNet.TimeProj
		outs, err := step.Exec(tensors.FromFlatDataAndDimensions(idT, 1, len(idT)),
			tensors.FromFlatDataAndDimensions(noisy, lat.shape...),
			tensors.FromFlatDataAndDimensions(nn.TimestepEmbedding([]float32{float32(d.Timestep)}, tp.Channels, tp.FlipSinToCos, tp.FreqShift), 1, tp.Channels),
			tensors.FromFlatDataAndDimensions(d.Noise, lat.shape...))
		if err != nil {
			return nil, fmt.Errorf("eval: embedding step %d: %w", s, err)
		}
		loss := tensors.MustCopyFlatData[float32](outs[0])[0]
		outs[0].FinalizeAll()
		if logf != nil && ((s+1)%100 == 0 || s+1 == o.EmbeddingSteps) {
			logf("embedding %s: step %d/%d loss %.4f (%.1fs)", c.Word, s+1, o.EmbeddingSteps, loss, time.Since(start).Seconds())
		}
	}
	t, err := table.Value()
	if err != nil {
		return nil, err
	}
	all := tensors.MustCopyFlatData[float32](t)
	w := p.Model.TextEncoder.Width()
	return &TokenEmbedding{Word: c.Word, ID: id, Row: slices.Clone(all[id*w : (id+1)*w])}, nil
}

// freezeAllBut marks every variable untrainable except the text encoder parameter name, which it
// returns.
func freezeAllBut(ctx *gctx.Context, name string) (*gctx.Variable, error) {
	var keep *gctx.Variable
	want := sd.TextEncoderScope + "/" + dotsToSlashes(name)
	for v := range ctx.IterVariables() {
		match := v.Scope()+"/"+v.Name() == want
		v.SetTrainable(match)
		if match {
			keep = v
		}
	}
	if keep == nil {
		return nil, fmt.Errorf("eval: no variable for %s", name)
	}
	return keep, nil
}

func dotsToSlashes(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}

// latents are the training images' latent distributions (unscaled).
type latents struct {
	mean, std [][]float32
	per       int
	shape     []int
}

func encodeAll(p *sd.Pipeline, images [][]float32, size int) (latents, error) {
	var l latents
	for _, img := range images {
		m, lv, err := p.VAE.Encode(weights.Tensor{Shape: []int{1, 3, size, size}, Data: img})
		if err != nil {
			return l, err
		}
		std := make([]float32, len(lv.Data))
		for i, v := range lv.Data {
			std[i] = float32(math.Exp(0.5 * float64(v)))
		}
		l.mean, l.std, l.per, l.shape = append(l.mean, m.Data), append(l.std, std), len(m.Data), m.Shape
	}
	return l, nil
}

// embeddingStep compiles one AdamW step on the row id of the token table: the epsilon loss of
// the frozen UNet conditioned on the text encoder's output, its gradient with respect to the
// table masked to that row (so every other row stays exactly as it was: AdamW without weight
// decay moves nothing whose gradient is always zero).
func embeddingStep(p *sd.Pipeline, table *gctx.Variable, id int, lr float64) (*gctx.Exec, error) {
	opt, ok := optimizers.Adam().Scope("adam_embedding").LearningRate(lr).WeightDecay(0).Done().(interface {
		UpdateGraphWithGradients(*gctx.Context, []*Node, dtypes.DType)
	})
	if !ok {
		return nil, fmt.Errorf("eval: gomlx's adam does not take precomputed gradients")
	}
	rows := table.Shape().Dim(0)
	return gctx.NewExec(p.Backend, p.Context, func(ctx *gctx.Context, in []*Node) []*Node {
		ids, noisy, tproj, target := in[0], in[1], in[2], in[3]
		text := sd.TextEncoderGraph(ctx, p.Model.TextEncoder, ids)
		pred := sd.UNetGraph(ctx, p.Model.UNet, noisy, tproj, text, nil)
		loss := ReduceAllMean(Square(Sub(pred, target)))
		grad := Gradient(loss, table.ValueGraph(loss.Graph()))[0]
		mask := Reshape(OneHot(Const(loss.Graph(), int32(id)), rows, dtypes.Float32), rows, 1)
		opt.UpdateGraphWithGradients(ctx, []*Node{Mul(grad, mask)}, dtypes.Float32)
		return []*Node{loss}
	})
}
