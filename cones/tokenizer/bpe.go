package tokenizer

import "container/heap"

// pairKey packs two adjacent symbols into a map key.
func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// rule is what a merge does: its rank (lower merges first) and the symbol it makes.
type rule struct {
	rank   int32
	result int32
}

// bpe splits one pre-token into symbols: its bytes, the last one marked as ending the word, then
// merged by rank. CLIP merges the lowest-ranked adjacent pair everywhere in the word (left to
// right), then looks again; a priority queue ordered by (rank, position) does the same work in
// n log n instead of n², which matters for long runs of punctuation typed into the page. The two
// agree because every merge only uses symbols made by earlier merges (New checks this), so a pair
// created by a merge always ranks after it.
func (t *Tokenizer) bpe(word []byte) []int32 {
	n := len(word)
	syms := make([]int32, n)
	for i, c := range word {
		syms[i] = t.byteSym[0][c]
	}
	syms[n-1] = t.byteSym[1][word[n-1]]
	if n == 1 {
		return syms
	}
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := range n {
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	next[n-1] = -1
	var q candidates
	push := func(i, j int32) {
		if r, ok := t.rules[pairKey(syms[i], syms[j])]; ok {
			heap.Push(&q, candidate{rule: r, pos: i, left: syms[i], right: syms[j]})
		}
	}
	for i := int32(0); i+1 < int32(n); i++ {
		push(i, i+1)
	}
	for q.Len() > 0 {
		c := heap.Pop(&q).(candidate)
		i := c.pos
		j := next[i]
		if syms[i] != c.left || j < 0 || syms[j] != c.right {
			continue // stale: one side was merged since
		}
		syms[i] = c.result
		syms[j] = -1
		next[i] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = i
		}
		if p := prev[i]; p >= 0 {
			push(p, i)
		}
		if k := next[i]; k >= 0 {
			push(i, k)
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

// candidate is a possible merge of the symbols at pos and the one after it.
type candidate struct {
	rule
	pos         int32
	left, right int32
}

type candidates []candidate

func (q candidates) Len() int { return len(q) }
func (q candidates) Less(a, b int) bool {
	if q[a].rank != q[b].rank {
		return q[a].rank < q[b].rank
	}
	return q[a].pos < q[b].pos
}
func (q candidates) Swap(a, b int) { q[a], q[b] = q[b], q[a] }
func (q *candidates) Push(x any)   { *q = append(*q, x.(candidate)) }
func (q *candidates) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
