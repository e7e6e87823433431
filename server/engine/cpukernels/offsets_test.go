package cpukernels

import (
	"slices"
	"testing"
)

// TestOffsetCache: the memoised lists equal offsets', a pattern is built once (the same slice
// comes back), patterns that differ only in strides get their own lists, and a full cache
// starts over.
func TestOffsetCache(t *testing.T) {
	var c offsetCache
	dims, strides := []int{3, 4}, []int{1, 0}
	first := c.offsets(dims, strides)
	if want := []int{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}; !slices.Equal(first, want) {
		t.Fatalf("offsets %v, want %v", first, want)
	}
	if again := c.offsets(dims, strides); &again[0] != &first[0] {
		t.Error("the same pattern was built twice")
	}
	if other := c.offsets(dims, []int{4, 1}); !slices.Equal(other, offsets(dims, []int{4, 1})) {
		t.Errorf("another pattern's offsets %v", other)
	}
	for i := range maxCachedPatterns {
		c.offsets([]int{i + 1}, []int{1})
	}
	if len(c.m) > maxCachedPatterns {
		t.Errorf("%d patterns cached, at most %d wanted", len(c.m), maxCachedPatterns)
	}
}
