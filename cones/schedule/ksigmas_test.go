package schedule

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// ksigma_schedules_cases.json: the Karras schedule (rho 7, n 20) over SD's sigma range, computed
// by ComfyUI's k-diffusion functions in torch float32 (zero appended). (The case's exponential
// schedule is not read: no scheduler config of diffusers v0.13.1 asks for one.)
func TestKSigmaSchedules(t *testing.T) {
	data, err := os.ReadFile(fixture.External(t, "ksigma_schedules_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SigmaMin float64   `json:"sigma_min"`
		SigmaMax float64   `json:"sigma_max"`
		Karras   []float64 `json:"karras_rho7_n20_with_appended_zero"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Karras) != 21 {
		t.Fatalf("unexpected case size %d", len(c.Karras))
	}
	karras, err := KarrasSigmas(c.SigmaMin, c.SigmaMax, len(c.Karras)-1, 7)
	if err != nil {
		t.Fatal(err)
	}
	// float32 torch against our float64: a few float32 ulps, amplified by the power rho.
	checkSigmas(t, "karras", karras, c.Karras, 1e-6)

	// The case's range is SD's: sqrt((1-ac)/ac) at t = 0 and t = 999 of scaled_linear 0.00085..0.012,
	// printed there with 6 significant digits (hence 2e-6).
	cfg, err := ParseConfig([]byte(`{"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}`))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := NewNoiseSchedule(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		t    int
		want float64
	}{{0, c.SigmaMin}, {999, c.SigmaMax}} {
		if g := float64(ns.KSigma(p.t)); math.Abs(g-p.want) > 2e-6*p.want {
			t.Errorf("SD sigma at t=%d = %.8g, case range %.8g", p.t, g, p.want)
		}
	}
}

func checkSigmas(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if want[len(want)-1] != 0 || len(got) != len(want)-1 {
		t.Fatalf("%s: %d values for a case of %d (ending in %g)", what, len(got), len(want), want[len(want)-1])
	}
	worst := 0.0
	for i, g := range got {
		worst = math.Max(worst, math.Abs(g-want[i])/want[i])
	}
	if worst > tol {
		t.Fatalf("%s: worst rel error %.3g > %g\n got %v\nwant %v", what, worst, tol, got, want)
	}
	t.Logf("%s: worst rel error %.3g", what, worst)
}

func TestKSigmaErrors(t *testing.T) {
	for _, c := range []struct {
		min, max, rho float64
		n             int
	}{{0, 1, 7, 5}, {1, 0.5, 7, 5}, {0.1, math.Inf(1), 7, 5}, {0.1, 1, 7, 0}, {0.1, 1, 0, 5}, {math.NaN(), 1, 7, 5}} {
		if _, err := KarrasSigmas(c.min, c.max, c.n, c.rho); err == nil {
			t.Errorf("KarrasSigmas(%g, %g, %d, %g): no error", c.min, c.max, c.n, c.rho)
		}
	}
}
