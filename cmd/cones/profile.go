package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names a file that receives a CPU profile of the whole command, for any command:
// CONES_CPUPROFILE=/tmp/gen.pprof cones generate ... then go tool pprof -top. Profiling the real
// command, not a benchmark of part of it, is how docs/benchmarks.md finds where time goes.
const profileEnv = "CONES_CPUPROFILE"

// startProfile starts the CPU profile when profileEnv is set and returns what stops it.
func startProfile() (stop func(), err error) {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", profileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", profileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "cones: %s: %v\n", profileEnv, err)
		}
	}, nil
}
