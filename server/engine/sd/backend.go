package sd

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the default, pure-Go backend
)

// DefaultBackend is the backend used when $GOMLX_BACKEND is unset: GoMLX's pure-Go simplego.
const DefaultBackend = "go"

// NewBackend returns the GoMLX backend that $GOMLX_BACKEND names ("go", or "xla:cpu"/"xla:cuda"
// in a binary built with -tags xla), or simplego when it is unset.
func NewBackend() (backends.Backend, error) {
	config := os.Getenv(backends.ConfigEnvVar)
	if config == "" {
		config = DefaultBackend
	}
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(backends.List(), name) {
		return nil, fmt.Errorf("%s=%q: backend %q is not compiled in (have %s; build with -tags xla for XLA)",
			backends.ConfigEnvVar, config, name, strings.Join(backends.List(), ", "))
	}
	b, err := backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", backends.ConfigEnvVar, config, err)
	}
	return b, nil
}
