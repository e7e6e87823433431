package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// heartbeat checks every tick whether quiet has passed since the last line and, if so, says
// which tests are running and for how long: a browser test can take minutes without finishing
// anything. stop ends it.
func (p *printer) heartbeat(tick, quiet time.Duration) (stop func()) {
	done := make(chan struct{})
	t := time.NewTicker(tick)
	go func() {
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				p.beat(now, quiet)
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// beat prints the running top-level tests, oldest first, when nothing was printed for quiet.
func (p *printer) beat(now time.Time, quiet time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < quiet || len(p.running) == 0 {
		return
	}
	keys := make([]string, 0, len(p.running))
	for k := range p.running {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return p.running[a].Compare(p.running[b]) })
	var parts []string
	for _, k := range keys {
		pkg, test, _ := strings.Cut(k, " ")
		parts = append(parts, fmt.Sprintf("%s %s (%s)", short(pkg), test, now.Sub(p.running[k]).Round(time.Second)))
	}
	fmt.Fprintf(p.out, "%s  ...   running %s\n", now.Local().Format("15:04:05"), strings.Join(parts, ", "))
	p.last = now
}
