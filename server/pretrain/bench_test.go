package pretrain

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDiffusionStep measures one text encoder + UNet training step of the default recipe
// (batch 16 at the default sizes, VAE encoding of the batch included). The VAE phase is cut to
// one step and, with the first diffusion step, happens before the timer starts; the timed resume
// rebuilds the training graph once, so use -benchtime 10x or more.
//
//	go test -run '^$' -bench DiffusionStep -benchtime 10x ./server/pretrain
func BenchmarkDiffusionStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchDiffusionStep(b, workers) })
	}
}

// benchDiffusionStep times text encoder + UNet steps with batches split into workers shares.
func benchDiffusionStep(b *testing.B, workers int) {
	o := DefaultOptions(b.TempDir(), b.TempDir())
	o.Workers = workers
	o.VAE.Steps, o.ExportEvery = 1, 0
	o.StopAfter = 1
	if err := Run(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	o.StopAfter = 1 + b.N
	b.ResetTimer()
	if err := Run(context.Background(), o); err != nil {
		b.Fatal(err)
	}
}
