package jobs

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// errBusy: the memory budget stayed taken for as long as a request may wait.
var errBusy = errors.New("the server is busy decoding other photos")

// budget is a weighted semaphore over bytes of memory, shared by every request and job of a
// server: a photo is decoded only once its estimated peak bytes are granted, so however many
// uploads arrive at once, the decodes in flight stay within one bound. Waiters are served in
// arrival order, so a large photo is not starved by a stream of small ones.
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters list.List // of *waiter
}

type waiter struct {
	n     int64
	ready chan struct{} // closed when granted
}

func newBudget(size int64) *budget { return &budget{size: size} }

// acquire waits until n bytes are free (n is capped at the whole budget: one photo larger than
// the budget still runs, alone) or ctx ends, and returns the function that gives them back.
func (b *budget) acquire(ctx context.Context, n int64) (func(), error) {
	n = min(max(n, 1), b.size)
	b.mu.Lock()
	if b.used+n <= b.size && b.waiters.Len() == 0 {
		b.used += n
		b.mu.Unlock()
		return b.releaser(n), nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	el := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return b.releaser(n), nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted while ctx ended: give it back.
			b.used -= n
		default:
			b.waiters.Remove(el)
		}
		b.grant()
		b.mu.Unlock()
		return nil, context.Cause(ctx)
	}
}

func (b *budget) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.grant()
			b.mu.Unlock()
		})
	}
}

// grant wakes the waiters at the front that now fit (under b.mu).
func (b *budget) grant() {
	for {
		el := b.waiters.Front()
		if el == nil {
			return
		}
		w := el.Value.(*waiter)
		if b.used+w.n > b.size {
			return
		}
		b.used += w.n
		b.waiters.Remove(el)
		close(w.ready)
	}
}
