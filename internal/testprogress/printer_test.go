package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)

// stream encodes events as go test -json writes them, a second apart.
func stream(t *testing.T, evs ...event) string {
	t.Helper()
	var b strings.Builder
	for i, ev := range evs {
		ev.Time = t0.Add(time.Duration(i) * time.Second)
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

const pkg = module + "e2e"

func run(t *testing.T, input string) (string, *printer) {
	t.Helper()
	var out bytes.Buffer
	p := newPrinter(&out)
	if err := p.read(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	return out.String(), p
}

func TestProgressLines(t *testing.T) {
	out, p := run(t, stream(t,
		event{Action: "start", Package: pkg},
		event{Action: "run", Package: pkg, Test: "TestApp"},
		event{Action: "output", Package: pkg, Test: "TestApp", Output: "=== RUN   TestApp\n"},
		event{Action: "run", Package: pkg, Test: "TestApp/quick"},
		event{Action: "pass", Package: pkg, Test: "TestApp/quick", Elapsed: 0.2},
		event{Action: "run", Package: pkg, Test: "TestApp/generate"},
		event{Action: "pass", Package: pkg, Test: "TestApp/generate", Elapsed: 12.34},
		event{Action: "pass", Package: pkg, Test: "TestApp", Elapsed: 75},
		event{Action: "skip", Package: pkg, Test: "TestGPU"},
		event{Action: "pass", Package: pkg, Elapsed: 80},
	))
	want := []string{
		"03:04:11  PASS  e2e  TestApp/generate  12.34s",
		"03:04:12  PASS  e2e  TestApp  1m15s",
		"03:04:13  SKIP  e2e  TestGPU",
		"03:04:14  ok    e2e  1m20s",
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
	if p.failed() || p.passed != 1 || p.skipped != 1 || p.packages != 1 {
		t.Errorf("tally: failed %v, %d passed, %d skipped, %d packages", p.failed(), p.passed, p.skipped, p.packages)
	}
}

// A failure shows the test's output (its subtests' too) and is listed once, however many of
// the test, its subtest and its package report it.
func TestFailureShowsOutput(t *testing.T) {
	out, p := run(t, stream(t,
		event{Action: "run", Package: pkg, Test: "TestKernels"},
		event{Action: "output", Package: pkg, Test: "TestKernels/matmul", Output: "    kernels_test.go:9: off by 2\n"},
		event{Action: "fail", Package: pkg, Test: "TestKernels/matmul", Elapsed: 0.1},
		event{Action: "fail", Package: pkg, Test: "TestKernels", Elapsed: 0.2},
		event{Action: "output", Package: pkg, Output: "FAIL\n"},
		event{Action: "fail", Package: pkg, Elapsed: 1},
	))
	for _, want := range []string{"FAIL  e2e  TestKernels/matmul", "FAIL  e2e  TestKernels  200ms\n        kernels_test.go:9: off by 2\n", "FAIL  e2e  1s\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !p.failed() || len(p.failures) != 1 || p.failures[0] != "e2e TestKernels" {
		t.Errorf("failures %q", p.failures)
	}
}

// A package that fails outside its tests (a panic in TestMain, a timeout) shows what it
// printed; a build failure shows the compiler's output; lines that are not JSON pass through.
func TestFailuresOutsideTests(t *testing.T) {
	out, p := run(t, stream(t,
		event{Action: "output", Package: pkg, Output: "panic: no chromium\n"},
		event{Action: "fail", Package: pkg, Elapsed: 0.5},
		event{Action: "build-output", ImportPath: module + "wgsl [" + module + "wgsl.test]", Output: "wgsl/x.go:1:1: undefined: y\n"},
		event{Action: "build-fail", ImportPath: module + "wgsl [" + module + "wgsl.test]"},
		event{Action: "fail", Package: module + "wgsl", FailedBuild: module + "wgsl [" + module + "wgsl.test]"},
	)+"go: some early error\n")
	for _, want := range []string{"FAIL  e2e  500ms\n    panic: no chromium\n", "FAIL  wgsl [wgsl.test]  (build)\n    wgsl/x.go:1:1: undefined: y\n",
		"FAIL  wgsl\n", "go: some early error\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(p.failures) != 2 {
		t.Errorf("failures %q, want the panic and the build", p.failures)
	}
	var sum bytes.Buffer
	p.out = &sum
	p.summary(t0)
	if !strings.Contains(sum.String(), "2 failures") || !strings.Contains(sum.String(), "    FAIL e2e\n") {
		t.Errorf("summary %q", sum.String())
	}
}

// After a quiet minute the heartbeat names what runs, oldest first; before it, nothing.
func TestHeartbeat(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&out)
	p.handle(event{Time: t0, Action: "run", Package: pkg, Test: "TestApp"})
	p.handle(event{Time: t0.Add(time.Second), Action: "run", Package: module + "cmd/cones", Test: "TestTrain"})
	p.last = t0
	p.beat(t0.Add(30*time.Second), time.Minute)
	if out.Len() != 0 {
		t.Fatalf("beat before a quiet minute: %q", out.String())
	}
	p.beat(t0.Add(90*time.Second), time.Minute)
	if want := "03:05:35  ...   running e2e TestApp (1m30s), cmd/cones TestTrain (1m29s)\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	p.handle(event{Time: t0.Add(100 * time.Second), Action: "pass", Package: pkg, Test: "TestApp", Elapsed: 100})
	out.Reset()
	p.last = t0
	p.beat(t0.Add(200*time.Second), time.Minute)
	if !strings.Contains(out.String(), "running cmd/cones TestTrain") || strings.Contains(out.String(), "TestApp") {
		t.Errorf("after TestApp passed: %q", out.String())
	}
}
