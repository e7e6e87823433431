package main

import (
	"os"
	"testing"
)

// TestMain lets a test run the command itself in a child process (the test binary re-executed
// with CONES_TEST_MAIN=1 and the command's arguments): what a person runs, measured from
// outside (its exit status, its peak memory).
func TestMain(m *testing.M) {
	if os.Getenv("CONES_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
