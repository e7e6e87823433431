package pretrain

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// tinyOptions trains the test-sized model for a few steps.
func tinyOptions(t *testing.T, dir string) Options {
	t.Helper()
	o := DefaultOptions(filepath.Join(dir, "work"), filepath.Join(dir, "out"))
	o.Sizes = TestSizes()
	o.VAE.Steps, o.VAE.Batch = 3, 2
	o.Diffusion.Steps, o.Diffusion.Batch = 4, 2
	o.VAE.Optimiser.Warmup, o.Diffusion.Optimiser.Warmup = 1, 1
	o.CheckpointEvery, o.ExportEvery = 2, 2
	return o
}

func TestRunWritesAVerifiedModel(t *testing.T) {
	dir := t.TempDir()
	o := tinyOptions(t, dir)
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if errs := weights.Verify(o.Out); len(errs) > 0 {
		t.Fatalf("the written model does not verify: %v", errs)
	}
	f, err := weights.Open(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	if f.VAE.ScalingFactor == weights.DefaultScalingFactor || !(f.VAE.ScalingFactor > 0) {
		t.Errorf("scaling factor %g was not measured", f.VAE.ScalingFactor)
	}
	checkF16(t, o.Out)
	// Loaded strictly by the engine: every tensor present, none unused.
	backend, err := sd.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.Load(o.Out, backend); err != nil {
		t.Fatal(err)
	}
	// Only model files and the manifest.
	_ = filepath.WalkDir(o.Out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".") {
			t.Errorf("stray file %s", p)
		}
		return nil
	})
}

// TestResumeIsExact interrupts a run after its checkpoints and checks that resuming gives the
// bytes of an uninterrupted run (and that a run is deterministic).
func TestResumeIsExact(t *testing.T) {
	whole := tinyOptions(t, t.TempDir())
	if err := Run(context.Background(), whole); err != nil {
		t.Fatal(err)
	}
	parts := tinyOptions(t, t.TempDir())
	first := parts
	first.StopAfter = 2 // stops after the step-2 checkpoint...
	if err := Run(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), parts); err != nil { // ...and goes on to 4
		t.Fatal(err)
	}
	for _, f := range []string{"unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors", "vae/diffusion_pytorch_model.safetensors"} {
		a := must(os.ReadFile(filepath.Join(whole.Out, f)))
		b := must(os.ReadFile(filepath.Join(parts.Out, f)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the resumed and the uninterrupted run", f)
		}
	}
}

// TestRecipeGuard: a work folder resumes only with the recipe that started it.
func TestRecipeGuard(t *testing.T) {
	o := tinyOptions(t, t.TempDir())
	o.StopAfter = 1
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	other := o
	other.Diffusion.Optimiser.LR *= 2
	err := Run(context.Background(), other)
	if err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Fatalf("resuming with another learning rate: %v, want a refusal", err)
	}
	o.StopAfter, o.ExportEvery = 0, 7 // neither is part of the recipe
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("resuming with the same recipe: %v", err)
	}
}

// checkF16 fails t for every tensor of the model folder dir's manifest that is not float16.
func checkF16(t *testing.T, dir string) {
	t.Helper()
	m, err := weights.ParseManifest(must(os.ReadFile(filepath.Join(dir, weights.ManifestName))))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range m.Files {
		for _, ts := range file.Tensors {
			if ts.DType != weights.F16 {
				t.Errorf("%s: %s is %s, want F16", file.Path, ts.Name, ts.DType)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fixedModel writes and loads an initial test-sized model.
func fixedModel(t *testing.T) (*run, *sd.Pipeline) {
	t.Helper()
	r := &run{opt: tinyOptions(t, t.TempDir()), set: shapes.NewSet(1)}
	vocab, err := trainVocabulary(r.set, r.opt.Sizes.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	r.spec = spec{sizes: r.opt.Sizes, vocab: vocab}
	dir := filepath.Join(t.TempDir(), "init")
	if err := r.writeInit(dir); err != nil {
		t.Fatal(err)
	}
	backend, err := sd.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sd.Load(dir, backend)
	if err != nil {
		t.Fatal(err)
	}
	return r, p
}

// TestVAELossDecreases takes a few steps on one batch: the loss must go down.
func TestVAELossDecreases(t *testing.T) {
	r, p := fixedModel(t)
	d := p.Model.VAE
	st, err := newStepper(p.Backend, 1, p.Context, "adam_vae", Optimiser{LR: 2e-3, ClipNorm: 1}, vaeLoss(d, VAEObjective{KL: 1e-3, Edge: 0.5}), nil)
	if err != nil {
		t.Fatal(err)
	}
	size, lat := r.opt.Sizes.Image, r.opt.Sizes.LatentSide()
	img := images(r.set, 0, 4, size)
	eps := make([]float32, 4*d.LatentChannels*lat*lat) // the mean: no sampling noise
	wts := shapeWeights(r.set, 0, 4, size, 5)
	var losses []float64
	for range 8 {
		in, err := shares(1, batchTensor{img, []int{4, 3, size, size}}, batchTensor{eps, []int{4, d.LatentChannels, lat, lat}},
			batchTensor{wts, []int{4, 1, size, size}})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.step(2e-3, 0, in...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, v[0])
	}
	if !(losses[len(losses)-1] < 0.8*losses[0]) {
		t.Errorf("VAE loss went %v", losses)
	}
}

// TestDiffusionLossDecreases takes a few steps of the text encoder + UNet on one batch of
// fixed noise: the loss must go down, and the moving average must move towards the weights.
func TestDiffusionLossDecreases(t *testing.T) {
	r, p := fixedModel(t)
	u := p.Model.UNet
	vars, err := networkVariables(p.Context, sd.UNetScope, u)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStepper(p.Backend, 2, p.Context, "adam_diffusion", Optimiser{LR: 2e-3, ClipNorm: 1}, diffusionLoss(p.Model.TextEncoder, u), vars)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := r.opt.Sizes.LatentSide()
	n := 4 * u.Config.InChannels * lat * lat
	ids := make([]int32, 4*77)
	for i := range ids {
		ids[i] = int32(rng.IntN(50))
	}
	tp := make([]float32, 4*u.TimeProj.Channels)
	for i := range tp {
		tp[i] = float32(rng.NormFloat64())
	}
	batch := []batchTensor{{ids, []int{4, 77}}, {normals(rng, n), []int{4, u.Config.InChannels, lat, lat}},
		{tp, []int{4, u.TimeProj.Channels}}, {normals(rng, n), []int{4, u.Config.InChannels, lat, lat}}, {[]float32{1, 1, 1, 1}, []int{4}},
		{make([]int32, 4*77), []int{4, 77}}, {keepHalf(4, 77), []int{4, 77}}}
	var losses []float64
	for range 8 {
		in, err := shares(2, batch...)
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.step(2e-3, 0.5, in...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, v[0])
	}
	if !(losses[len(losses)-1] < 0.9*losses[0]) {
		t.Errorf("diffusion loss went %v", losses)
	}
	// After 8 steps at decay 0.5 the average is close to the weights but not equal.
	w := tensors.MustCopyFlatData[float32](must(st.ema[0].v.Value()))
	a := tensors.MustCopyFlatData[float32](must(st.ema[0].avg.Value()))
	var diff, norm float64
	for i := range w {
		diff += math.Abs(float64(w[i] - a[i]))
		norm += math.Abs(float64(w[i]))
	}
	if diff == 0 || diff > 0.5*norm {
		t.Errorf("moving average differs from the weights by %g (weights %g)", diff, norm)
	}
}

func TestSchedules(t *testing.T) {
	o := Optimiser{LR: 1, Warmup: 10}
	if got := o.lrAt(0, 100); got != 0.1 {
		t.Errorf("first warm-up step %g", got)
	}
	if got := o.lrAt(9, 100); got != 1 {
		t.Errorf("end of warm-up %g", got)
	}
	if got := o.lrAt(99, 100); math.Abs(got-0.1) > 1e-3 {
		t.Errorf("last step %g, want 0.1", got)
	}
	if got := snrWeight(0.5, 5); got != 1 {
		t.Errorf("SNR 1 weight %g", got)
	}
	if got := snrWeight(0.99, 5); math.Abs(got-5.0/99) > 1e-9 {
		t.Errorf("SNR 99 weight %g", got)
	}
	if got := emaDecay(0, 0.999); got != 0.1 {
		t.Errorf("first decay %g", got)
	}
}

func TestOptionsAndSizesRejectBadValues(t *testing.T) {
	good := DefaultOptions("w", "o")
	for name, mod := range map[string]func(*Options){
		"no work":     func(o *Options) { o.Work = "" },
		"zero steps":  func(o *Options) { o.VAE.Steps = 0 },
		"bad workers": func(o *Options) { o.Workers = 3 },
		"dropout 1":   func(o *Options) { o.Diffusion.CaptionDropout = 1 },
		"no interval": func(o *Options) { o.CheckpointEvery = 0 },
		"negative LR": func(o *Options) { o.Diffusion.Optimiser.LR = -1 },
	} {
		o := good
		mod(&o)
		if err := o.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s := DefaultSizes()
	s.UNetHeads = []int{2}
	if _, _, _, err := s.Configs(600, 598, 599, 599, weights.F16); err == nil {
		t.Error("head list of the wrong length accepted")
	}
	s = DefaultSizes()
	s.UNetChannels = []int{48, 100} // not a multiple of the 16 groups
	if _, _, _, err := s.Configs(600, 598, 599, 599, weights.F16); err == nil {
		t.Error("channels that do not divide into groups accepted")
	}
}

// TestDefaultModelFitsTheBudget checks the default sizes against the brief: float16 weights of
// at most 20 MB, a VAE downsampling by 4, latents that the UNet halves once.
func TestDefaultModelFitsTheBudget(t *testing.T) {
	s := spec{sizes: DefaultSizes(), vocab: must(trainVocabulary(shapes.NewSet(1), DefaultSizes().VocabSize))}
	m, _, err := s.describe(weights.F16)
	if err != nil {
		t.Fatal(err)
	}
	params := 0
	for _, mod := range []weights.Module{m.TextEncoder, m.UNet, m.VAE} {
		for _, p := range mod.Params() {
			if !p.Optional {
				params += p.NumElements()
			}
		}
	}
	if bytes := 2 * params; bytes > 20<<20 {
		t.Errorf("%d parameters take %d bytes in float16, over 20 MB", params, bytes)
	}
	if f := m.VAE.DownsampleFactor(); f != 4 {
		t.Errorf("VAE downsampling %d", f)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	_, p := fixedModel(t)
	dir := t.TempDir()
	if n, err := loadCheckpoint(p.Context, dir); err != nil || n != 0 {
		t.Fatalf("empty folder: %d, %v", n, err)
	}
	if err := saveCheckpoint(p.Context, dir, 17); err != nil {
		t.Fatal(err)
	}
	v, err := variable(p.Context, sd.UNetScope, "conv_in.weight")
	if err != nil {
		t.Fatal(err)
	}
	before := tensors.MustCopyFlatData[float32](must(v.Value()))
	zeros := make([]float32, len(before))
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(zeros, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
	n, err := loadCheckpoint(p.Context, dir)
	if err != nil || n != 17 {
		t.Fatalf("restored %d steps, %v", n, err)
	}
	after := tensors.MustCopyFlatData[float32](must(v.Value()))
	for i := range after {
		if after[i] != before[i] {
			t.Fatalf("value %d: %g after restore, %g saved", i, after[i], before[i])
		}
	}
	if err := os.WriteFile(filepath.Join(dir, checkpointFile), []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCheckpoint(p.Context, dir); err == nil {
		t.Error("a corrupt checkpoint was loaded")
	}
}

// keepHalf is a keep mask that shows two samples their whole caption and isolates position 0
// of the two others.
func keepHalf(n, length int) []float32 {
	k := make([]float32, n*length)
	for i := range k {
		if i < n/2*length || i%length == 0 {
			k[i] = 1
		}
	}
	return k
}

// TestKeepIsolatesShapeWords checks the isolation mask: <|startoftext|> and every token of each
// shape's word, nothing else; and everything when not isolating.
func TestKeepIsolatesShapeWords(t *testing.T) {
	r := &run{opt: DefaultOptions("", ""), set: shapes.NewSet(1)}
	vocab, err := trainVocabulary(r.set, r.opt.Sizes.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(vocab, tokenizer.CLIPSpecials(padToken))
	if err != nil {
		t.Fatal(err)
	}
	b := &diffusionBatcher{r: r, tok: tok}
	caption := "an orange triangle and a square"
	ids, err := tok.EncodePadded(caption)
	if err != nil {
		t.Fatal(err)
	}
	k, err := b.keep(caption, len(ids), true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{0: true}
	for _, word := range []string{"triangle", "square"} {
		pos, err := tok.Positions(caption, word)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pos {
			want[p] = true
		}
	}
	for i, v := range k {
		if (v == 1) != want[i] {
			t.Errorf("position %d: keep %v, want %v", i, v, want[i])
		}
	}
	all, _ := b.keep(caption, len(ids), false)
	for i, v := range all {
		if v != 1 {
			t.Fatalf("not isolating: position %d dropped", i)
		}
	}
}
