package main

import (
	"strings"
	"time"
)

// event is one line of `go test -json`: a test2json TestEvent, or a build event (ImportPath
// set, Action build-output or build-fail) which go test interleaves with them.
type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64 // seconds, on pass and fail
	Output      string
	FailedBuild string
	ImportPath  string
}

// module is left off package paths: every package of the suite is in it.
const module = "github.com/cones2web/cones2/"

// short leaves the module off every path in a package name (a test variant's name has two:
// "wgsl [wgsl.test]").
func short(pkg string) string { return strings.ReplaceAll(pkg, module, "") }

// root is the top-level test a test or subtest belongs to.
func root(test string) string {
	name, _, _ := strings.Cut(test, "/")
	return name
}

// key names a test across packages.
func key(pkg, test string) string { return pkg + " " + test }
