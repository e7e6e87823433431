package pretrain

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// prepared is one step's inputs, split into the workers' shares, or why they could not be made.
type prepared struct {
	in  [][]*tensors.Tensor
	err error
}

// prefetcher makes the next step's inputs while the current step trains. A diffusion batch
// costs a tenth of a step (rendering the scenes and encoding them with the frozen VAE) and
// depends only on the step number, so making it ahead changes no value; it fills the gaps the
// workers leave on the cores (one finishing before the other, the serial update).
type prefetcher struct {
	make    func(step int) ([]batchTensor, error)
	workers int
	next    chan prepared // the pending step's inputs; nil when none is pending
}

// start begins making step's inputs in the background.
func (p *prefetcher) start(step int) {
	ch := make(chan prepared, 1)
	p.next = ch
	go func() {
		var in [][]*tensors.Tensor
		batch, err := p.make(step)
		if err == nil {
			in, err = shares(p.workers, batch...)
		}
		if err != nil {
			err = fmt.Errorf("diffusion step %d: %w", step, err)
		}
		ch <- prepared{in: in, err: err}
	}()
}

// take waits for the pending step's inputs, then starts making step next's unless next < 0.
func (p *prefetcher) take(next int) ([][]*tensors.Tensor, error) {
	got := <-p.next
	p.next = nil
	if next >= 0 {
		p.start(next)
	}
	return got.in, got.err
}

// wait lets a pending preparation finish, so that nothing still uses the pipeline after the
// phase returns.
func (p *prefetcher) wait() {
	if p.next != nil {
		<-p.next
		p.next = nil
	}
}
