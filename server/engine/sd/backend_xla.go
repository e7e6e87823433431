//go:build xla

package sd

// Building with -tags xla links GoMLX's XLA (PJRT) backend, selected with GOMLX_BACKEND=xla:cpu
// or xla:cuda; the graphs are the same.
import _ "github.com/gomlx/gomlx/backends/xla"
