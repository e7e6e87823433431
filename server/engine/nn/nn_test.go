package nn

import (
	"math"
	"sync"
	"testing"

	"github.com/cones2web/cones2/cones/noise"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

var (
	backendOnce sync.Once
	testBackend backends.Backend
)

// backend returns the simplego backend shared by the package's tests.
func backend(t testing.TB) backends.Backend {
	t.Helper()
	backendOnce.Do(func() {
		b, err := simplego.New("ops_sequential") // see sd.sequentialOps
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	})
	return testBackend
}

// randn returns n seeded standard-normal float32 values scaled by s.
func randn(seed uint64, s float32, n int) []float32 {
	out := make([]float32, n)
	_ = noise.New(seed).Normal(out)
	for i := range out {
		out[i] *= s
	}
	return out
}

func tensorOf(data []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// assertClose fails with the worst index when max |got-want| > tol*max(1, max|want|).
func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, worst, at := 1.0, 0.0, 0
	for i := range want {
		scale = math.Max(scale, math.Abs(float64(want[i])))
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst > tol*scale || math.IsNaN(worst) {
		t.Fatalf("%s: max abs error %.3g at %d (got %g, want %g), bound %.3g", what, worst, at, got[at], want[at], tol*scale)
	}
}
