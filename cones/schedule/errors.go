package schedule

import (
	"errors"
	"fmt"
)

// ConfigError reports a bad scheduler configuration: which key and what is wrong with it.
type ConfigError struct {
	Field   string // diffusers key, empty when the whole document is at fault
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "scheduler config: " + e.Problem
	}
	return fmt.Sprintf("scheduler config: %s: %s", e.Field, e.Problem)
}

// Errors callers may branch on (wrapped with context; test with errors.Is).
var (
	// ErrUnknownSampler: New was given a name it does not know; the message lists the choices.
	ErrUnknownSampler = errors.New("unknown sampler")
	// ErrNoTimesteps: a step method was called before SetTimesteps.
	ErrNoTimesteps = errors.New("SetTimesteps has not been called")
	// ErrStepCount: SetTimesteps was given a step count the sampler cannot use.
	ErrStepCount = errors.New("bad number of inference steps")
	// ErrIndex: a step index outside [0, len(Timesteps())).
	ErrIndex = errors.New("step index out of range")
	// ErrLength: latent slices of different or zero length.
	ErrLength = errors.New("bad latent length")
)

func checkIndex(i, n int) error {
	if n == 0 {
		return ErrNoTimesteps
	}
	if i < 0 || i >= n {
		return fmt.Errorf("%w: %d, have %d steps", ErrIndex, i, n)
	}
	return nil
}

// checkPair checks that a and b are non-empty and of equal length.
func checkPair(aName string, a []float32, bName string, b []float32) error {
	if len(a) == 0 {
		return fmt.Errorf("%w: %s is empty", ErrLength, aName)
	}
	if len(a) != len(b) {
		return fmt.Errorf("%w: %s has %d values, %s has %d", ErrLength, aName, len(a), bName, len(b))
	}
	return nil
}
