package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// slowSubtest is the time from which a passing subtest gets its own line: the browser suite's
// subtests (each a page, a model, a kernel family) do, a table of quick cases does not.
const slowSubtest = time.Second

// printer keeps what it needs between events: the output of tests still running (printed if
// they fail), the top-level tests running now (for the heartbeat) and the tally.
type printer struct {
	mu       sync.Mutex
	out      io.Writer
	start    time.Time
	last     time.Time            // when a line was last printed
	running  map[string]time.Time // top-level test key -> start
	output   map[string]*strings.Builder
	failures []string        // "package test", in the order they failed
	hadFail  map[string]bool // packages with a failed test or build already listed
	passed   int
	skipped  int
	packages int
}

func newPrinter(out io.Writer) *printer {
	now := time.Now()
	return &printer{out: out, start: now, last: now, running: map[string]time.Time{}, output: map[string]*strings.Builder{},
		hadFail: map[string]bool{}}
}

// read handles every line of r; a line that is not JSON (go's own early errors) is printed as
// it is.
func (p *printer) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20) // a test may print long lines
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Action == "" {
			p.printf("%s\n", sc.Text())
			continue
		}
		p.handle(ev)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading go test -json: %w", err)
	}
	return nil
}

func (p *printer) handle(ev event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now() // cached results carry no time
	}
	switch {
	case ev.Action == "build-output":
		p.buffer(key(ev.ImportPath, "build"), ev.Output)
	case ev.Action == "build-fail":
		p.fail(ev.Time, short(ev.ImportPath), "(build)", 0, key(ev.ImportPath, "build"))
	case ev.Action == "output":
		p.buffer(key(ev.Package, root(ev.Test)), ev.Output)
	case ev.Action == "run" && ev.Test == root(ev.Test):
		p.mu.Lock()
		p.running[key(ev.Package, ev.Test)] = ev.Time
		p.mu.Unlock()
	case ev.Test != "" && (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip"):
		p.testDone(ev)
	case ev.Test == "" && (ev.Action == "pass" || ev.Action == "fail"):
		p.packageDone(ev)
	}
}

// testDone prints a finished test: every top-level one, subtests when slow or failed (a failed
// subtest's output comes with its top-level test, which fails too).
func (p *printer) testDone(ev event) {
	top := ev.Test == root(ev.Test)
	elapsed := time.Duration(ev.Elapsed * float64(time.Second))
	k := key(ev.Package, ev.Test)
	switch {
	case ev.Action == "fail" && top:
		p.fail(ev.Time, short(ev.Package), ev.Test, elapsed, k)
	case ev.Action == "fail":
		p.line(ev.Time, "FAIL", short(ev.Package), ev.Test, elapsed)
	case top:
		p.line(ev.Time, strings.ToUpper(ev.Action), short(ev.Package), ev.Test, elapsed)
		p.count(ev.Action)
	case elapsed >= slowSubtest:
		p.line(ev.Time, strings.ToUpper(ev.Action), short(ev.Package), ev.Test, elapsed)
	}
	if top {
		p.mu.Lock()
		delete(p.running, k)
		delete(p.output, k)
		p.mu.Unlock()
	}
}

// packageDone prints a package's result. A failed package whose failure is not listed yet (a
// panic outside a test, TestMain, a timeout) shows what it printed outside its tests.
func (p *printer) packageDone(ev event) {
	elapsed := time.Duration(ev.Elapsed * float64(time.Second))
	p.mu.Lock()
	p.packages++
	listed := p.hadFail[short(ev.Package)] || ev.FailedBuild != "" && p.hadFail[short(ev.FailedBuild)]
	p.mu.Unlock()
	switch {
	case ev.Action == "pass":
		p.line(ev.Time, "ok", short(ev.Package), "", elapsed)
	case listed:
		p.line(ev.Time, "FAIL", short(ev.Package), "", elapsed)
	default:
		p.fail(ev.Time, short(ev.Package), "", elapsed, key(ev.Package, ""))
	}
}

func (p *printer) count(action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch action {
	case "pass":
		p.passed++
	case "skip":
		p.skipped++
	}
}

func (p *printer) buffer(k, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.output[k]
	if b == nil {
		b = &strings.Builder{}
		p.output[k] = b
	}
	b.WriteString(text)
}

// fail prints a failure's line, then the output kept under k, indented, and lists it.
func (p *printer) fail(at time.Time, pkg, test string, elapsed time.Duration, k string) {
	p.line(at, "FAIL", pkg, test, elapsed)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = append(p.failures, strings.TrimSpace(pkg+" "+test))
	p.hadFail[pkg] = true
	if b := p.output[k]; b != nil {
		for l := range strings.Lines(b.String()) {
			fmt.Fprintf(p.out, "    %s\n", strings.TrimSuffix(l, "\n"))
		}
		delete(p.output, k)
	}
	p.last = time.Now()
}

// line prints one timestamped progress line.
func (p *printer) line(at time.Time, status, pkg, test string, elapsed time.Duration) {
	s := fmt.Sprintf("%s  %-4s  %s", at.Local().Format("15:04:05"), status, pkg)
	if test != "" {
		s += "  " + test
	}
	if elapsed > 0 {
		s += "  " + round(elapsed).String()
	}
	p.printf("%s\n", s)
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
	p.last = time.Now()
}

// round keeps durations readable: 12ms, 1.25s, 3m4s.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func (p *printer) failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.failures) > 0
}

// summary ends the run with the tally and the failures listed again, so they are not lost
// above half an hour of progress.
func (p *printer) summary(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s  %s, top-level tests %d passed and %d skipped, %s, in %s\n", now.Local().Format("15:04:05"),
		plural(p.packages, "package"), p.passed, p.skipped, plural(len(p.failures), "failure"), now.Sub(p.start).Round(time.Second))
	for _, f := range slices.Sorted(slices.Values(p.failures)) {
		fmt.Fprintf(p.out, "    FAIL %s\n", f)
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
