package jobs

// inUse reports the bytes granted now (what the tests check the budget against).
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
