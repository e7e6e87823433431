package cpukernels

import (
	"strconv"
	"sync"
)

// offsetCache memoises the offset lists of broadcast operands (offsets): a graph runs the
// same broadcasts on every step, and building a list of a block's thousands of offsets on
// every call cost a sampling step of the default model an eighth of its time. Lists are
// shared read-only between goroutines.
type offsetCache struct {
	mu sync.Mutex
	m  map[string][]int
}

// maxCachedPatterns bounds the cache: a model has a few hundred distinct broadcasts; a
// process that builds graphs for ever more shapes starts over rather than grow without end.
const maxCachedPatterns = 4096

// offsets returns offsets(dims, strides), computed once per pattern.
func (c *offsetCache) offsets(dims, strides []int) []int {
	key := patternKey(dims, strides)
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = offsets(dims, strides)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedPatterns {
		c.m = map[string][]int{}
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}

// patternKey spells dims and strides as one string.
func patternKey(dims, strides []int) string {
	b := make([]byte, 0, 8*(len(dims)+len(strides)))
	for _, d := range dims {
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, ',')
	}
	b = append(b, '/')
	for _, s := range strides {
		b = strconv.AppendInt(b, int64(s), 10)
		b = append(b, ',')
	}
	return string(b)
}
