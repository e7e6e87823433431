package noise

import (
	"errors"
	"fmt"
)

// Source fills buffers with independent standard-normal draws. The sampler asks for one draw per
// buffer it fills: first the initial latent, then one per self-recurrence.
type Source interface {
	// Normal fills dst with standard-normal samples. It fails only when a recorded source has no
	// draw left or its next draw has a different length.
	Normal(dst []float32) error
}

// ErrExhausted is returned by Replay.Normal when every recorded draw was used.
var ErrExhausted = errors.New("noise: replay has no draw left")

// Replay is a Source that hands out recorded draws in order, one per Normal call.
type Replay struct {
	draws [][]float32
	next  int
}

// NewReplay returns a Source that replays draws in order. The slices are not copied.
func NewReplay(draws ...[]float32) *Replay { return &Replay{draws: draws} }

// Normal copies the next recorded draw into dst.
func (r *Replay) Normal(dst []float32) error {
	if r.next >= len(r.draws) {
		return fmt.Errorf("draw %d: %w", r.next, ErrExhausted)
	}
	d := r.draws[r.next]
	if len(d) != len(dst) {
		return fmt.Errorf("noise: replay draw %d has %d values, want %d", r.next, len(d), len(dst))
	}
	copy(dst, d)
	r.next++
	return nil
}

// Used reports how many draws were handed out.
func (r *Replay) Used() int { return r.next }

// Remaining reports how many recorded draws are left.
func (r *Replay) Remaining() int { return len(r.draws) - r.next }
