package subject

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/dotgrad"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// MaxImages bounds the photos of one subject (the paper uses 3 to 5; a few more help).
const MaxImages = 64

// Trainer fine-tunes a copy of a loaded pipeline's text encoder on the photos of one subject.
// The pipeline itself is never changed (its UNet and VAE weights are shared read-only), so it
// keeps serving generations and other trainers meanwhile. A Trainer is not safe for concurrent
// use.
type Trainer struct {
	p      *sd.Pipeline
	tok    *tokenizer.Tokenizer
	opts   Options
	word   string
	tokens int   // k: the word's token count
	ids    []int // the instance prompt, padded (officially the word alone)
	at     int   // position of the word's first token in ids
	size   int   // training resolution
	latent []int // [1, channels, h, w]

	mean, std [][]float32 // each image's latent distribution, unscaled
	sched     *schedule.NoiseSchedule
	predictV  bool
	draws     Draws

	ctx   *gctx.Context // tuned text encoder, shared UNet, optimiser state
	state trainState
	step  *gctx.Exec
	embed *gctx.Exec
	done  int // steps taken
}

// Progress reports one finished step.
type Progress struct {
	Step, Steps     int // Step counts from 1
	Image, Timestep int
	// Loss is MSE + FirstWeight*First + SecondWeight*Second; First and Second are the two
	// preservation norms; GradNorm is the total gradient norm before clipping.
	Loss, MSE, First, Second, GradNorm float64
}

// Resolution is the training image side opts ask for on p: opts.Resolution, or the model's
// native size when it is 0.
func Resolution(p *sd.Pipeline, opts Options) int {
	if opts.Resolution > 0 {
		return opts.Resolution
	}
	return p.Model.UNet.Config.SampleSize * p.Model.VAE.DownsampleFactor()
}

// New prepares training: it checks the word and options, encodes every image (prepared with
// PrepareImage at Resolution(p, opts): [3, size, size] in [-1, 1]) with the VAE once, and
// builds the trainer's copy of the text encoder with zeroed AdamW state.
func New(p *sd.Pipeline, tok *tokenizer.Tokenizer, word string, images [][]float32, opts Options) (*Trainer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	// The backward pass through the frozen UNet is matrix products; GoMLX's own gradient of
	// DotGeneral would materialise them as broadcast products (most of a step's time).
	dotgrad.Register()
	k, err := wordTokens(tok, word)
	if err != nil {
		return nil, err
	}
	rows, pos, err := sentenceIDs(tok, []string{opts.instance()}, word, k)
	if err != nil {
		return nil, fmt.Errorf("instance prompt: %w", err)
	}
	ids := rows[0]
	if len(ids) > p.Model.TextEncoder.Config.MaxPositionEmbeddings {
		return nil, fmt.Errorf("the tokenizer pads to %d tokens, the text encoder takes %d", len(ids), p.Model.TextEncoder.Config.MaxPositionEmbeddings)
	}
	t := &Trainer{p: p, tok: tok, opts: opts, word: word, tokens: k, ids: ids, at: pos[0], size: Resolution(p, opts), draws: Seeded(opts.Seed)}
	if err := t.checkImages(images); err != nil {
		return nil, err
	}
	if err := t.setSchedule(); err != nil {
		return nil, err
	}
	if err := t.encodeImages(images); err != nil {
		return nil, err
	}
	if err := t.buildContext(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Trainer) checkImages(images [][]float32) error {
	f := t.p.Model.VAE.DownsampleFactor() * t.p.Model.UNet.DownsampleFactor()
	if t.size%f != 0 {
		return &OptionError{"resolution", fmt.Sprintf("%d is not a multiple of %d (the VAE's and UNet's downsampling)", t.size, f)}
	}
	if len(images) == 0 || len(images) > MaxImages {
		return fmt.Errorf("%d images, want 1..%d", len(images), MaxImages)
	}
	for i, img := range images {
		if len(img) != 3*t.size*t.size {
			return fmt.Errorf("image %d: %d values, want 3×%d×%d (prepare it with PrepareImage)", i, len(img), t.size, t.size)
		}
	}
	return nil
}

// setSchedule builds the training noise schedule and target from the model's scheduler config,
// as the official script's DDPMScheduler.from_pretrained does.
func (t *Trainer) setSchedule() error {
	cfg := t.p.Folder.Scheduler
	switch cfg.PredictionType {
	case schedule.PredictEpsilon:
	case schedule.PredictV:
		t.predictV = true
	default:
		return fmt.Errorf("scheduler: prediction_type %q cannot be trained (want epsilon or v_prediction)", cfg.PredictionType)
	}
	s, err := schedule.NewNoiseSchedule(cfg)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if t.opts.MinTimestep >= s.Len() {
		return &OptionError{"min_timestep", fmt.Sprintf("%d, the model's schedule has %d timesteps", t.opts.MinTimestep, s.Len())}
	}
	t.sched = s
	return nil
}

// encodeImages runs the VAE encoder once per image (one at a time, to bound memory at large
// resolutions) and keeps the latent mean and standard deviation.
func (t *Trainer) encodeImages(images [][]float32) error {
	for i, img := range images {
		mean, logvar, err := t.p.VAE.Encode(weights.Tensor{Shape: []int{1, 3, t.size, t.size}, Data: img})
		if err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
		std := make([]float32, len(logvar.Data))
		for j, lv := range logvar.Data {
			std[j] = float32(math.Exp(float64(float32(0.5) * lv)))
		}
		t.mean, t.std = append(t.mean, mean.Data), append(t.std, std)
		t.latent = mean.Shape
	}
	return nil
}

// trainState is everything a step changes: the tuned parameters (named by the description),
// AdamW's moments and the step-0 text embedding E0.
//
// The token embedding table is split: only the rows of the tokens the training prompt uses
// (rows) can receive a gradient, so they are a variable of their own in the step graph; every
// other row only decays by AdamW's weight decay each step (its gradient and moments are
// exactly 0, so its Adam update is exactly 0), which is done on the host copy table. The full
// table (variable tableVar) is rebuilt from both when the tuned encoder runs or is read.
type trainState struct {
	names  []string // diffusers names of params; names[0] is the token table's
	params []*gctx.Variable
	m, v   []*gctx.Variable
	e0     *gctx.Variable

	rows     []int // token ids whose table rows are params[0], ascending
	local    []int32
	table    []float32 // the token embedding table on the host, rows decayed each step
	tableVar *gctx.Variable
}

// Scopes of the trainer's own variables.
const (
	adamMScope = "/train/adam_m"
	adamVScope = "/train/adam_v"
	trainScope = "/train"
)

// buildContext makes the trainer's variable store: the UNet's variables sharing the pipeline's
// tensors (frozen, never written, so sharing is safe), a copy of the text encoder's, and zeroed
// AdamW moments and E0.
func (t *Trainer) buildContext() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trainer variables: %v", r)
		}
	}()
	t.ctx = gctx.New()
	var te []*gctx.Variable
	for v := range t.p.Context.IterVariables() {
		switch {
		case strings.HasPrefix(v.Scope(), sd.UNetScope+"/"):
			nv := t.ctx.InAbsPath(v.Scope()).VariableWithValue(v.Name(), v.MustValue())
			nv.Trainable = false
		case strings.HasPrefix(v.Scope(), sd.TextEncoderScope+"/"):
			te = append(te, v)
		}
	}
	slices.SortFunc(te, func(a, b *gctx.Variable) int { return strings.Compare(a.ScopeAndName(), b.ScopeAndName()) })
	tableName := t.p.Model.TextEncoder.TokenEmbedding.Name + ".weight"
	for _, v := range te {
		nv, err := v.CloneToContext(t.ctx)
		if err != nil {
			return fmt.Errorf("copy %s: %w", v.ScopeAndName(), err)
		}
		if paramName(nv) == tableName {
			t.state.tableVar = nv
			continue
		}
		t.addParam(paramName(nv), nv)
	}
	if t.state.tableVar == nil {
		return fmt.Errorf("the pipeline has no text encoder variable %s", tableName)
	}
	if err := t.splitTable(tableName); err != nil {
		return err
	}
	w := t.p.Model.TextEncoder.Width()
	t.state.e0 = t.ctx.InAbsPath(trainScope).VariableWithValue("e0", zeroTensor(shapeOf(1, len(t.ids), w)))
	t.state.e0.Trainable = false
	return nil
}

// addParam registers a trainable variable with zeroed AdamW moments.
func (t *Trainer) addParam(name string, v *gctx.Variable) {
	zeros := func(scope string) *gctx.Variable {
		z := t.ctx.InAbsPath(scope+v.Scope()).VariableWithValue(v.Name(), zeroTensor(v.Shape()))
		z.Trainable = false
		return z
	}
	t.state.names = append(t.state.names, name)
	t.state.params = append(t.state.params, v)
	t.state.m = append(t.state.m, zeros(adamMScope))
	t.state.v = append(t.state.v, zeros(adamVScope))
}

// splitTable copies the token table to the host and makes the rows the prompt uses the first
// trainable parameter.
func (t *Trainer) splitTable(name string) error {
	table, err := variableData(t.state.tableVar)
	if err != nil {
		return err
	}
	w := t.p.Model.TextEncoder.Width()
	rows := slices.Clone(t.ids)
	slices.Sort(rows)
	rows = slices.Compact(rows)
	data := make([]float32, 0, len(rows)*w)
	for _, id := range rows {
		data = append(data, table[id*w:(id+1)*w]...)
	}
	for _, id := range t.ids {
		i, _ := slices.BinarySearch(rows, id)
		t.state.local = append(t.state.local, int32(i))
	}
	t.state.rows, t.state.table = rows, table
	active := t.ctx.InAbsPath(trainScope).VariableWithValue("token_rows", tensors.FromFlatDataAndDimensions(data, len(rows), w))
	// The rows go first, so that names[0] names the table they belong to.
	t.addParam(name, active)
	n := len(t.state.names) - 1
	for _, s := range []*[]string{&t.state.names} {
		(*s)[0], (*s)[n] = (*s)[n], (*s)[0]
	}
	for _, s := range []*[]*gctx.Variable{&t.state.params, &t.state.m, &t.state.v} {
		(*s)[0], (*s)[n] = (*s)[n], (*s)[0]
	}
	return nil
}

// decayTable applies one step's weight decay to the host table (torch multiplies every row by
// 1 - lr*wd in float32; the trained rows are overwritten from their variable when synced).
func (t *Trainer) decayTable(decay float32) {
	for i, x := range t.state.table {
		t.state.table[i] = x * decay
	}
}

// syncTable writes the trained rows into the host table and sets the full table variable, for
// the tuned text encoder graph; it returns the table.
func (t *Trainer) syncTable() ([]float32, error) {
	rows, err := variableData(t.state.params[0])
	if err != nil {
		return nil, err
	}
	w := t.p.Model.TextEncoder.Width()
	for i, id := range t.state.rows {
		copy(t.state.table[id*w:(id+1)*w], rows[i*w:(i+1)*w])
	}
	v := t.state.tableVar
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(t.state.table, v.Shape().Dimensions...)); err != nil {
		return nil, err
	}
	return t.state.table, nil
}

// paramName is the diffusers name of a text encoder variable ("text_model.final_layer_norm.bias").
func paramName(v *gctx.Variable) string {
	scope := strings.TrimPrefix(v.Scope(), sd.TextEncoderScope+"/")
	return strings.ReplaceAll(scope, "/", ".") + "." + v.Name()
}

// Steps is the number of steps the options ask for; Done how many were taken.
func (t *Trainer) Steps() int { return t.opts.Steps }

// Done is the number of steps taken so far.
func (t *Trainer) Done() int { return t.done }

// Word is the subject's word; Tokens its token count.
func (t *Trainer) Word() string { return t.word }

// SetDraws replaces the seeded randomness (tests replay recorded draws).
func (t *Trainer) SetDraws(d Draws) { t.draws = d }

// Run takes the remaining steps, calling onStep (when not nil) after each. It returns ctx's
// error when ctx ends first; the steps taken so far stay taken (see State to keep them).
func (t *Trainer) Run(ctx context.Context, onStep func(Progress)) error {
	for t.done < t.opts.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := t.Step()
		if err != nil {
			return err
		}
		if onStep != nil {
			onStep(p)
		}
	}
	return nil
}

// Close releases the compiled graphs.
func (t *Trainer) Close() {
	for _, e := range []*gctx.Exec{t.step, t.embed} {
		if e != nil {
			e.Finalize()
		}
	}
	t.step, t.embed = nil, nil
}

// Parameters returns the tuned text encoder's parameters by diffusers name.
func (t *Trainer) Parameters() (map[string]weights.Tensor, error) {
	table, err := t.syncTable()
	if err != nil {
		return nil, err
	}
	tv := t.state.tableVar
	out := map[string]weights.Tensor{t.state.names[0]: {Shape: tv.Shape().Dimensions, Data: slices.Clone(table)}}
	for i, v := range t.state.params[1:] {
		data, err := variableData(v)
		if err != nil {
			return nil, err
		}
		out[t.state.names[i+1]] = weights.Tensor{Shape: v.Shape().Dimensions, Data: data}
	}
	return out, nil
}
