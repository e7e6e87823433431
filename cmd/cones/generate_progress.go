package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cones2web/cones2/cones/sample"
)

// progressBar draws "step 12/50 [======>      ] 24%  3.1 s/step, 1m58s left" on one line of
// a terminal (carriage returns, no colours), so it also reads well in a log.
type progressBar struct {
	w     io.Writer
	total int
	start time.Time
	drawn bool
}

func newProgressBar(w io.Writer, total int) *progressBar {
	return &progressBar{w: w, total: total, start: time.Now()}
}

const barWidth = 30

func (b *progressBar) update(p sample.Progress) {
	done := p.Step + 1
	fill := barWidth * done / max(p.Total, 1)
	elapsed := time.Since(b.start)
	per := elapsed / time.Duration(done)
	left := per * time.Duration(p.Total-done)
	fmt.Fprintf(b.w, "\rstep %d/%d [%s%s] %3d%%  %.1f s/step, %s left ", done, p.Total,
		strings.Repeat("=", fill), strings.Repeat(" ", barWidth-fill), 100*done/max(p.Total, 1),
		per.Seconds(), left.Round(time.Second))
	b.drawn = true
}

// done ends the bar's line.
func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintf(b.w, "\n")
	}
}
