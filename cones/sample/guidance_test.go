package sample

import (
	"errors"
	"slices"
	"testing"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/internal/fixture"
)

// guidanceSigmas are the first n sigmas of GuidanceSchedule(n): the sigma each guided step's
// edit is scaled by.
func guidanceSigmas(t *testing.T, n int) []float32 {
	t.Helper()
	gs, err := GuidanceSchedule(n)
	if err != nil {
		t.Fatal(err)
	}
	return gs.Sigmas()[:n]
}

// The guidance schedule is the official one: an LMS with Stable Diffusion's betas set to the
// number of guided steps, whatever the run's own sampler and length.
func TestGuidanceScheduleMatchesFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		// The fixture's LMS runs use SD's betas, so the guidance LMS of the same length matches
		// their sigmas bit for bit.
		for _, n := range []int{50, 20} {
			got := guidanceSigmas(t, n)
			want := v.Tensor(t, "sched.lms_order1.n"+map[int]string{50: "50", 20: "20"}[n]+".sigmas").F32
			if !slices.Equal(got, want[:n]) {
				t.Errorf("%s n=%d: guidance sigmas %v, want %v", v.Name, n, got, want[:n])
			}
		}
	}
	// Fewer guided steps than sampling steps: the guidance schedule is its own 8-step LMS. It
	// starts at the run's sigma_max but falls to sigma_min at step 7, far below the run's sigma.
	g8 := guidanceSigmas(t, 8)
	run := lms(t)
	if err := run.SetTimesteps(20); err != nil {
		t.Fatal(err)
	}
	if len(g8) != 8 || g8[0] != run.Sigma(0) || g8[7] != run.NoiseSchedule().KSigma(0) || g8[7] >= run.Sigma(7) {
		t.Errorf("8 guided of 20: %v vs run %v", g8, run.Sigmas()[:8])
	}
	for _, n := range []int{0, -1, 1001} {
		if _, err := GuidanceSchedule(n); !errors.Is(err, schedule.ErrStepCount) {
			t.Errorf("GuidanceSchedule(%d): %v", n, err)
		}
	}
}
