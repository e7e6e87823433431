package subject

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/internal/fixture"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
)

// smallImages are the fixture's training images at half size (64×64, each 2×2 block averaged):
// the tests below train at 64 px, a quarter of the UNet's work per step.
func smallImages(t testing.TB, v fixture.Variant) [][]float32 {
	t.Helper()
	var out [][]float32
	for _, img := range fixtureImages(t, v) {
		n := int(math.Sqrt(float64(len(img) / 3)))
		h := n / 2
		s := make([]float32, 3*h*h)
		for c := range 3 {
			for y := range h {
				for x := range h {
					at := func(dy, dx int) float32 { return img[c*n*n+(2*y+dy)*n+2*x+dx] }
					s[c*h*h+y*h+x] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func smallOptions(steps int) Options {
	o := Defaults()
	o.Steps, o.Resolution, o.LearningRate, o.Seed = steps, 64, 1e-3, 7
	return o
}

func newTrainer(t testing.TB, p *sd.Pipeline, tok *tokenizer.Tokenizer, v fixture.Variant, word string, o Options) *Trainer {
	t.Helper()
	tr, err := New(p, tok, word, smallImages(t, v), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// movement is, for each row of ids, how far the tuned text encoder output moved from the
// frozen one at the subject position and on average at every other position.
func movement(t testing.TB, tr *Trainer, ids [][]int, pos []int) (subject, other []float64) {
	t.Helper()
	tuned, err := tr.Encode(ids)
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := tr.p.TextEncoder.Encode(ids)
	if err != nil {
		t.Fatal(err)
	}
	n, w := len(ids[0]), tuned.Shape[2]
	for r := range ids {
		sum := 0.0
		for k := range n {
			d := 0.0
			for j := range w {
				x := float64(tuned.Data[(r*n+k)*w+j] - frozen.Data[(r*n+k)*w+j])
				d += x * x
			}
			if k == pos[r] {
				subject = append(subject, math.Sqrt(d))
			} else {
				sum += math.Sqrt(d)
			}
		}
		other = append(other, sum/float64(n-1))
	}
	return subject, other
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestPreservation trains the same subject with and without the preservation loss, on every
// fixture model, and compares how the text encoder's outputs moved on the training prompt:
// with the loss, the other tokens' outputs move less than the subject's, ten times less than
// they do without it, and at least half as much relative to the subject's. (The weights are
// stronger than the official 1e-2/1e-3 because this is 20 steps at a high learning rate on a
// tiny random model, not 3,000 small steps on a trained one; how far the subject itself moves
// depends on the random model, so the checks are ratios.)
func TestPreservation(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) { checkPreservation(t, v) })
	}
}

func checkPreservation(t *testing.T, v fixture.Variant) {
	p, tok := pipeline(t, v)
	sentences := mustSentences(t, OfficialSentences)[:6]
	ids, pos, err := sentenceIDs(tok, sentences, "dog", 1)
	if err != nil {
		t.Fatal(err)
	}
	run := func(first, second float64) (subject, other float64) {
		o := smallOptions(20)
		o.FirstWeight, o.SecondWeight = first, second
		tr := newTrainer(t, p, tok, v, "dog", o)
		if err := tr.Run(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		s, oth := movement(t, tr, append([][]int{tr.ids}, ids...), append([]int{1}, pos...))
		t.Logf("weights %g/%g: training prompt: subject moved %.4f, others %.4f; sentences: subject %.4f, others %.4f",
			first, second, s[0], oth[0], mean(s[1:]), mean(oth[1:]))
		return s[0], oth[0]
	}
	subject, other := run(1, 0.1)
	subjectFree, otherFree := run(0, 0)
	if other >= subject {
		t.Errorf("with the preservation loss the other tokens moved %.4f, not less than the subject's %.4f", other, subject)
	}
	if other*10 > otherFree {
		t.Errorf("the other tokens moved %.4f with the preservation loss and %.4f without: it does not preserve them", other, otherFree)
	}
	if 2*other/subject > otherFree/subjectFree {
		t.Errorf("relative to the subject the other tokens moved %.3f with the preservation loss and %.3f without: not half as much",
			other/subject, otherFree/subjectFree)
	}
}

// TestResume: a run stopped after one step, saved and restored into a new trainer continues
// exactly as the uninterrupted run.
func TestResume(t *testing.T) {
	v := fixture.Variants(t)[0]
	p, tok := pipeline(t, v)
	o := smallOptions(3)
	whole := newTrainer(t, p, tok, v, "dog", o)
	var want []Progress
	if err := whole.Run(t.Context(), func(p Progress) { want = append(want, p) }); err != nil {
		t.Fatal(err)
	}
	first := newTrainer(t, p, tok, v, "dog", o)
	if _, err := first.Step(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := first.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	resumed := newTrainer(t, p, tok, v, "dog", o)
	if err := resumed.LoadState(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	var got []Progress
	if err := resumed.Run(t.Context(), func(p Progress) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want[1:]) {
		t.Errorf("resumed steps %+v, uninterrupted %+v", got, want[1:])
	}
	a, _ := whole.Parameters()
	b, _ := resumed.Parameters()
	for name, pa := range a {
		if !slices.Equal(pa.Data, b[name].Data) {
			t.Errorf("%s differs after resuming", name)
		}
	}
	// Another run's checkpoint is refused.
	other := newTrainer(t, p, tok, v, "cat", o)
	if err := other.LoadState(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Error("a checkpoint of another word was accepted")
	}
}

// TestVPrediction: with a v-prediction scheduler config the step's target is the velocity
// (diffusers' get_velocity), checked against the UNet and the schedule run separately.
func TestVPrediction(t *testing.T) {
	v := fixture.Variants(t)[0]
	dir := t.TempDir()
	for _, e := range []string{"model_index.json", "text_encoder", "tokenizer", "unet", "vae"} {
		if err := os.Symlink(filepath.Join(v.Dir, e), filepath.Join(dir, e)); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(v.Dir, "scheduler", "scheduler_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Set rather than replaced, so it holds whatever the folder predicts.
	var keys map[string]any
	if err := json.Unmarshal(cfg, &keys); err != nil {
		t.Fatal(err)
	}
	keys["prediction_type"] = "v_prediction"
	if cfg, err = json.Marshal(keys); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "scheduler"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scheduler", "scheduler_config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := testBackend()
	p, err := sd.Load(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(t, p, tok, v, "dog", smallOptions(1))
	if !tr.predictV {
		t.Fatal("the trainer did not pick up v_prediction")
	}
	d, err := tr.draws.Draw(0, len(tr.mean), tr.sched.Len(), len(tr.mean[0]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Step()
	if err != nil {
		t.Fatal(err)
	}
	// The same MSE from the engine's public API.
	sf := float32(p.Model.VAE.ScalingFactor)
	lat := make([]float32, len(tr.mean[d.Image]))
	for i := range lat {
		lat[i] = (tr.mean[d.Image][i] + tr.std[d.Image][i]*d.EpsLatent[i]) * sf
	}
	noisy, _ := tr.sched.AddNoise(lat, d.Noise, d.Timestep)
	vel, _ := tr.sched.GetVelocity(lat, d.Noise, d.Timestep)
	emb, err := p.TextEncoder.Encode([][]int{tr.ids})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := p.UNet.Predict(weights.Tensor{Shape: tr.latent, Data: noisy}, []float32{float32(d.Timestep)}, emb, nil)
	if err != nil {
		t.Fatal(err)
	}
	mse := 0.0
	for i := range vel {
		x := float64(pred.Data[i] - vel[i])
		mse += x * x
	}
	mse /= float64(len(vel))
	if !relClose(got.MSE, mse, 1e-4) {
		t.Errorf("step MSE %.8g, the UNet against the velocity gives %.8g", got.MSE, mse)
	}
}

// TestNewErrors: bad words, options and images are refused with the problem named.
func TestNewErrors(t *testing.T) {
	v := fixture.Variants(t)[0]
	p, tok := pipeline(t, v)
	imgs := smallImages(t, v)
	bad := func(name string, word string, images [][]float32, o Options) {
		t.Helper()
		if _, err := New(p, tok, word, images, o); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	o := smallOptions(1)
	bad("empty word", "", imgs, o)
	bad("two words", "my dog", imgs, o)
	bad("no images", "dog", nil, o)
	bad("image of the wrong size", "dog", [][]float32{imgs[0][:10]}, o)
	odd := o
	odd.Resolution = 72
	bad("resolution not a multiple of 32", "dog", imgs, odd)
	var oe *OptionError
	lr := o
	lr.LearningRate = math.NaN()
	if _, err := New(p, tok, "dog", imgs, lr); !errors.As(err, &oe) || oe.Option != "lr" {
		t.Errorf("NaN learning rate: %v", err)
	}
}

// TestInstancePrompt trains under a template ("a photo of a {}"): the word sits where the
// template puts it, and the preservation loss holds the rows before it (not only
// <|startoftext|>) and after it: with the loss they move far less than without it.
func TestInstancePrompt(t *testing.T) {
	v := fixture.Variants(t)[0]
	p, tok := pipeline(t, v)
	const instance, prompt = "a photo of a {}", "a photo of a dog"
	want, err := tok.EncodePadded(prompt)
	if err != nil {
		t.Fatal(err)
	}
	at, err := tok.Positions(prompt, "dog")
	if err != nil || len(at) != 1 {
		t.Fatalf("positions: %v, %v", at, err)
	}
	run := func(first, second float64) (subject, other float64) {
		o := smallOptions(20)
		o.FirstWeight, o.SecondWeight, o.Instance = first, second, instance
		tr := newTrainer(t, p, tok, v, "dog", o)
		if !slices.Equal(tr.ids, want) || tr.at != at[0] {
			t.Fatalf("training prompt %v with the word at %d, want %v at %d", tr.ids, tr.at, want, at[0])
		}
		if err := tr.Run(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		s, oth := movement(t, tr, [][]int{tr.ids}, at)
		t.Logf("weights %g/%g: the word moved %.4f, the other rows %.4f", first, second, s[0], oth[0])
		return s[0], oth[0]
	}
	_, other := run(1, 0.1)
	_, otherFree := run(0, 0)
	if other*10 > otherFree {
		t.Errorf("the rows around the word moved %.4f with the preservation loss and %.4f without: it does not hold them", other, otherFree)
	}
}

// TestPreservedRows: the official instance prompt (the word alone) holds <|startoftext|> and
// the rows after the word; a template holds every row before the word too, and never the word.
func TestPreservedRows(t *testing.T) {
	before, after := preservedRows(6, 1, 2)
	if !slices.Equal(before, []float32{1, 0, 0, 0, 0, 0}) || !slices.Equal(after, []float32{0, 0, 0, 1, 1, 1}) {
		t.Errorf("official: before %v after %v", before, after)
	}
	before, after = preservedRows(6, 3, 1)
	if !slices.Equal(before, []float32{1, 1, 1, 0, 0, 0}) || !slices.Equal(after, []float32{0, 0, 0, 0, 1, 1}) {
		t.Errorf("template: before %v after %v", before, after)
	}
}

// wordRow is the word's (single-token) row of the trainer's token table as trained so far.
func wordRow(t testing.TB, tr *Trainer) []float32 {
	t.Helper()
	rows, err := variableData(tr.state.params[0])
	if err != nil {
		t.Fatal(err)
	}
	w := tr.p.Model.TextEncoder.Width()
	i := slices.Index(tr.state.rows, tr.ids[tr.at])
	return slices.Clone(rows[i*w : (i+1)*w])
}

func distance(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// TestWordLR: a learning rate for the word's own token rows ten times the encoder's moves the
// word's row about ten times as far in the first steps (Adam's steps are near lr in size),
// and leaves the rest of the run's parameters at the common rate.
func TestWordLR(t *testing.T) {
	v := fixture.Variants(t)[0]
	p, tok := pipeline(t, v)
	moved := func(wordLR float64) (word, layer float64) {
		o := smallOptions(3)
		o.LearningRate, o.WordLR = 1e-4, wordLR
		tr := newTrainer(t, p, tok, v, "dog", o)
		before := wordRow(t, tr)
		last := len(tr.state.params) - 1
		layerBefore, err := variableData(tr.state.params[last])
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Run(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		layerAfter, err := variableData(tr.state.params[last])
		if err != nil {
			t.Fatal(err)
		}
		return distance(before, wordRow(t, tr)), distance(layerBefore, layerAfter)
	}
	word1, layer1 := moved(0)
	word10, layer10 := moved(1e-3)
	t.Logf("word row moved %.3g at lr, %.3g at 10×lr; a layer %.3g and %.3g", word1, word10, layer1, layer10)
	if r := word10 / word1; r < 5 || r > 15 {
		t.Errorf("the word's row moved %.1f× as far with a word learning rate 10× the encoder's, want about 10×", r)
	}
	if r := layer10 / layer1; r < 0.5 || r > 2 {
		t.Errorf("a layer moved %.2f× as far with only the word's rate changed, want about 1×", r)
	}
}

// TestMinTimestep: every step draws its timestep from [MinTimestep, T), and a bound beyond the
// model's schedule is refused before training.
func TestMinTimestep(t *testing.T) {
	v := fixture.Variants(t)[0]
	p, tok := pipeline(t, v)
	o := smallOptions(4)
	o.MinTimestep = 900
	tr := newTrainer(t, p, tok, v, "dog", o)
	if err := tr.Run(t.Context(), func(pr Progress) {
		if pr.Timestep < 900 || pr.Timestep >= 1000 {
			t.Errorf("step %d drew timestep %d, want 900..999", pr.Step, pr.Timestep)
		}
	}); err != nil {
		t.Fatal(err)
	}
	o.MinTimestep = 1000
	var oe *OptionError
	if _, err := New(p, tok, "dog", smallImages(t, v), o); !errors.As(err, &oe) || oe.Option != "min_timestep" {
		t.Errorf("min_timestep at the schedule's length: %v", err)
	}
}
