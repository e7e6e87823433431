package sd

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the default, pure-Go backend

	"github.com/cones2web/cones2/server/engine/cpukernels"
)

// DefaultBackend is the backend used when $GOMLX_BACKEND is unset: GoMLX's pure-Go simplego,
// executing one op at a time.
const DefaultBackend = "go:" + sequentialOps

// sequentialOps makes simplego run one op at a time (each op still uses every core). Its default,
// running independent ops concurrently, deadlocks in v0.26.0 on our graphs: concurrent ops take
// every slot of its worker pool, and a DotGeneral among them then waits forever for a slot to
// split its batch over (seen in the batched classifier-free-guidance UNet).
const sequentialOps = "ops_sequential"

// NewBackend returns the GoMLX backend that $GOMLX_BACKEND names ("go", or "xla:cpu"/"xla:cuda"
// in a binary built with -tags xla), or simplego when it is unset. A simplego configuration that
// does not choose how ops are scheduled gets ops_sequential (see sequentialOps). A simplego
// backend runs its matrix products on cpukernels' packed, multi-core kernel.
func NewBackend() (backends.Backend, error) {
	config := os.Getenv(backends.ConfigEnvVar)
	if config == "" {
		config = DefaultBackend
	}
	name, opts, _ := strings.Cut(config, ":")
	if name == "go" && !strings.Contains(opts, "ops_") {
		config = "go:" + strings.TrimPrefix(opts+","+sequentialOps, ",")
	}
	if !slices.Contains(backends.List(), name) {
		return nil, fmt.Errorf("%s=%q: backend %q is not compiled in (have %s; build with -tags xla for XLA)",
			backends.ConfigEnvVar, config, name, strings.Join(backends.List(), ", "))
	}
	if name == "go" {
		// Once per process. On failure (simplego internals other than the pinned GoMLX's)
		// Register has logged why and installed nothing: simplego's own kernels run, slower.
		_ = cpukernels.Register()
	}
	b, err := backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", backends.ConfigEnvVar, config, err)
	}
	return b, nil
}
