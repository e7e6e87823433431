package sample

import (
	"context"
	"errors"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/schedule"
)

// recorder is a Denoiser that records what the loop asks for and answers with a fixed linear
// map of its input, so the loop can be checked without a model.
type recorder struct {
	calls []Step
	fail  error
	short bool
}

func (r *recorder) Denoise(ctx context.Context, x []float32, s Step) ([]float32, error) {
	r.calls = append(r.calls, s)
	if r.fail != nil {
		return nil, r.fail
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = 0.5 * v
	}
	if r.short {
		out = out[1:]
	}
	return out, nil
}

func lms(t *testing.T) schedule.Scheduler {
	t.Helper()
	cfg := schedule.DefaultConfig()
	cfg.BetaStart, cfg.BetaEnd, cfg.BetaSchedule = 0.00085, 0.012, schedule.BetaScaledLinear
	s, err := schedule.New("lms", cfg, schedule.LMSOrder(1))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func draws(n, size int) *noise.Replay {
	g := noise.New(1)
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, size)
		_ = g.Normal(out[i])
	}
	return noise.NewReplay(out...)
}

func TestRunCallSequence(t *testing.T) {
	const steps, guided, size = 6, 3, 8
	rec := &recorder{}
	src := draws(1+guided, size)
	var progress []int
	sched := lms(t)
	x, err := Run(context.Background(), rec, Config{
		Scheduler: sched, Steps: steps, GuidanceSteps: guided, Noise: src, LatentLen: size,
		OnStep: func(p Progress) {
			if len(p.Latents) != size || p.Total != steps {
				t.Errorf("progress %+v", p)
			}
			progress = append(progress, p.Step)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != size {
		t.Fatalf("%d latents", len(x))
	}
	if src.Remaining() != 0 {
		t.Fatalf("%d noise draws unused: want one initial and one per guided step", src.Remaining())
	}
	gs, err := GuidanceSchedule(guided)
	if err != nil {
		t.Fatal(err)
	}
	ts := sched.Timesteps()
	var want []Step
	for i := 0; i < steps; i++ {
		if i < guided {
			for pass := 0; pass < 2; pass++ {
				want = append(want, Step{Index: i, Total: steps, Pass: pass, Timestep: ts[i], Guided: true, GuideSigma: gs.Sigma(i)})
			}
		} else {
			want = append(want, Step{Index: i, Total: steps, Timestep: ts[i]})
		}
	}
	if len(rec.calls) != len(want) {
		t.Fatalf("%d denoiser calls, want %d", len(rec.calls), len(want))
	}
	for i := range want {
		if rec.calls[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, rec.calls[i], want[i])
		}
	}
	if len(progress) != steps || progress[0] != 0 || progress[steps-1] != steps-1 {
		t.Fatalf("progress steps %v", progress)
	}
}

// With every step guided, the guidance sigmas are the LMS sampler's own (the usual official run).
func TestGuidanceSigmasMatchLMSWhenAllGuided(t *testing.T) {
	gs, err := GuidanceSchedule(20)
	if err != nil {
		t.Fatal(err)
	}
	s := lms(t)
	if err := s.SetTimesteps(20); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= 20; i++ {
		if gs.Sigma(i) != s.Sigma(i) {
			t.Fatalf("sigma %d: %v, LMS %v", i, gs.Sigma(i), s.Sigma(i))
		}
	}
}

func TestRunGuidanceClampedAndOff(t *testing.T) {
	for _, c := range []struct{ guided, calls, draws int }{{10, 8, 5}, {0, 4, 1}} {
		rec := &recorder{}
		src := draws(c.draws, 4)
		if _, err := Run(context.Background(), rec, Config{Scheduler: lms(t), Steps: 4, GuidanceSteps: c.guided, Noise: src, LatentLen: 4}); err != nil {
			t.Fatal(err)
		}
		if len(rec.calls) != c.calls || src.Remaining() != 0 {
			t.Fatalf("guidance %d: %d calls (want %d), %d draws left", c.guided, len(rec.calls), c.calls, src.Remaining())
		}
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	_, err := Run(ctx, rec, Config{Scheduler: lms(t), Steps: 5, Noise: noise.New(3), LatentLen: 4,
		OnStep: func(p Progress) {
			if p.Step == 1 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(rec.calls) != 2 {
		t.Fatalf("%d denoiser calls after cancelling at step 2", len(rec.calls))
	}
}

func TestRunErrors(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		d    *recorder
		c    Config
		is   error
	}{
		{"no scheduler", &recorder{}, Config{Steps: 2, Noise: noise.New(1), LatentLen: 4}, ErrConfig},
		{"no noise", &recorder{}, Config{Scheduler: lms(t), Steps: 2, LatentLen: 4}, ErrConfig},
		{"no latents", &recorder{}, Config{Scheduler: lms(t), Steps: 2, Noise: noise.New(1)}, ErrConfig},
		{"zero steps", &recorder{}, Config{Scheduler: lms(t), Noise: noise.New(1), LatentLen: 4}, ErrConfig},
		{"negative guidance", &recorder{}, Config{Scheduler: lms(t), Steps: 2, GuidanceSteps: -1, Noise: noise.New(1), LatentLen: 4}, ErrConfig},
		{"too many steps", &recorder{}, Config{Scheduler: lms(t), Steps: 5000, Noise: noise.New(1), LatentLen: 4}, schedule.ErrStepCount},
		{"denoiser fails", &recorder{fail: boom}, Config{Scheduler: lms(t), Steps: 2, Noise: noise.New(1), LatentLen: 4}, boom},
		{"replay runs out", &recorder{}, Config{Scheduler: lms(t), Steps: 2, GuidanceSteps: 2, Noise: draws(2, 4), LatentLen: 4}, noise.ErrExhausted},
		{"short output", &recorder{short: true}, Config{Scheduler: lms(t), Steps: 2, Noise: noise.New(1), LatentLen: 4}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(context.Background(), c.d, c.c)
			if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
				t.Fatalf("got %v, want an error matching %v", err, c.is)
			}
		})
	}
}

func TestEditStrengthAndCFG(t *testing.T) {
	// guidance_weight 0.08 at σ = 5: 0.08·ln(26).
	if got, want := EditStrength(0.08, 5), float32(0.08*3.258096538021482); got != want {
		t.Fatalf("EditStrength(0.08, 5) = %v, want %v", got, want)
	}
	if EditStrength(0.08, 0) != 0 {
		t.Fatal("no edit at σ = 0")
	}
	got := CombineCFG([]float32{1, -2}, []float32{3, -2}, 7.5)
	if got[0] != 16 || got[1] != -2 {
		t.Fatalf("CombineCFG = %v, want [16 -2]", got)
	}
}
