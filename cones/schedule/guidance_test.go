package schedule

import (
	"errors"
	"slices"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

func TestGuidanceSigmas(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		// The fixture's LMS runs use SD's betas, so the guidance LMS of the same length matches
		// their sigmas bit for bit.
		for _, n := range []int{50, 20} {
			got, err := GuidanceSigmas(n)
			if err != nil {
				t.Fatal(err)
			}
			want := v.Tensor(t, "sched.lms_order1.n"+map[int]string{50: "50", 20: "20"}[n]+".sigmas").F32
			if !slices.Equal(got, want[:n]) {
				t.Errorf("%s n=%d: guidance sigmas %v, want %v", v.Name, n, got, want[:n])
			}
		}
	}
	// Fewer guided steps than sampling steps: the guidance schedule is its own 8-step LMS.
	g8, err := GuidanceSigmas(8)
	if err != nil {
		t.Fatal(err)
	}
	run := sdScheduler(t, "lms")
	if err := run.SetTimesteps(20); err != nil {
		t.Fatal(err)
	}
	// It starts at the same sigma_max but falls to sigma_min at step 7, far below the run's sigma.
	if len(g8) != 8 || g8[0] != run.Sigma(0) || g8[7] != run.NoiseSchedule().KSigma(0) || g8[7] >= run.Sigma(7) {
		t.Errorf("8 guided of 20: %v vs run %v", g8, run.Sigmas()[:8])
	}
	own := sdScheduler(t, "lms")
	if err := own.SetTimesteps(8); err != nil || !slices.Equal(own.Sigmas()[:8], g8) {
		t.Errorf("guidance sigmas %v, 8-step LMS %v (%v)", g8, own.Sigmas(), err)
	}
	if g, err := GuidanceSigmas(0); g != nil || err != nil {
		t.Errorf("0 guided steps: %v, %v", g, err)
	}
	for _, n := range []int{-1, 1001} {
		if _, err := GuidanceSigmas(n); !errors.Is(err, ErrStepCount) {
			t.Errorf("GuidanceSigmas(%d): %v", n, err)
		}
	}
}
