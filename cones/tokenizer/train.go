package tokenizer

import (
	"container/heap"
	"fmt"
	"slices"
)

// baseTokens is the size of CLIP's byte alphabet plus its two special tokens: the smallest
// vocabulary Train can make.
const baseTokens = 512 + 2

// Train learns a byte-level BPE vocabulary of at most vocabSize tokens from corpus, in CLIP's
// layout: the 256 byte symbols, the same with "</w>", one token per merge in rank order, then
// <|startoftext|> and <|endoftext|>. Words are cleaned and pre-tokenised exactly as Encode does.
//
// Each step merges the adjacent pair of symbols that occurs most often across the corpus; ties go
// to the pair whose left, then right, symbol sorts first, so the result depends only on the
// multiset of words, not on corpus order. A pair that would make an existing token is skipped.
// Training stops at vocabSize or when no pair is left.
func Train(corpus []string, vocabSize int) (*Vocabulary, error) {
	if vocabSize < baseTokens {
		return nil, fmt.Errorf("tokenizer: train: vocabulary size %d is below the %d base tokens (512 byte symbols and 2 special tokens)", vocabSize, baseTokens)
	}
	tr := newTrainer(countWords(corpus))
	for len(tr.names)+2 < vocabSize && tr.step() {
	}
	v := &Vocabulary{Tokens: append(tr.names, startOfText, endOfText), Merges: tr.merges}
	return v, nil
}

// countWords returns each distinct pre-token of the corpus with its count.
func countWords(corpus []string) map[string]int {
	counts := map[string]int{}
	for _, s := range corpus {
		c := clean(s, false)
		for i := 0; ; {
			lo, hi, ok := nextWord(c.b, i)
			if !ok {
				break
			}
			if w := string(c.b[lo:hi]); w != startOfText && w != endOfText {
				counts[w]++
			}
			i = hi
		}
	}
	return counts
}

type trainWord struct {
	syms []int32
	freq int
}

// trainer holds the corpus words as symbol sequences, how often each adjacent pair occurs, and
// which words hold it, so a merge only revisits the words it changes.
type trainer struct {
	names  []string
	index  map[string]int32
	merges []Merge
	words  []trainWord
	count  map[uint64]int
	where  map[uint64][]int32
	banned map[uint64]bool
	queue  pairQueue
	seen   []int // per word: the step that last visited it
	steps  int
}

func newTrainer(counts map[string]int) *trainer {
	tr := &trainer{names: baseSymbols(), index: map[string]int32{}, count: map[uint64]int{},
		where: map[uint64][]int32{}, banned: map[uint64]bool{}}
	for id, name := range tr.names {
		tr.index[name] = int32(id)
	}
	var byteSym [2][256]int32
	for end := range 2 {
		for b := range 256 {
			byteSym[end][b] = tr.index[byteSymbol(byte(b), end == 1)]
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.Sort(words)
	for i, w := range words {
		syms := make([]int32, len(w))
		for k := range len(w) {
			syms[k] = byteSym[0][w[k]]
		}
		syms[len(w)-1] = byteSym[1][w[len(w)-1]]
		tr.words = append(tr.words, trainWord{syms: syms, freq: counts[w]})
		tr.addPairs(int32(i), nil)
	}
	tr.seen = make([]int, len(tr.words))
	for key := range tr.count {
		tr.push(key)
	}
	return tr
}

// addPairs counts word w's adjacent pairs (noting changed ones in changed, when not nil).
func (tr *trainer) addPairs(w int32, changed map[uint64]bool) {
	word := tr.words[w]
	for k := 0; k+1 < len(word.syms); k++ {
		key := pairKey(word.syms[k], word.syms[k+1])
		tr.count[key] += word.freq
		tr.where[key] = append(tr.where[key], w)
		if changed != nil {
			changed[key] = true
		}
	}
}

func (tr *trainer) removePairs(w int32, changed map[uint64]bool) {
	word := tr.words[w]
	for k := 0; k+1 < len(word.syms); k++ {
		key := pairKey(word.syms[k], word.syms[k+1])
		tr.count[key] -= word.freq
		changed[key] = true
	}
}

func (tr *trainer) push(key uint64) {
	if n := tr.count[key]; n > 0 && !tr.banned[key] {
		heap.Push(&tr.queue, pairEntry{count: n, key: key,
			left: tr.names[int32(key>>32)], right: tr.names[int32(uint32(key))]})
	}
}

// step makes the best merge; it reports false when no pair is left.
func (tr *trainer) step() bool {
	for tr.queue.Len() > 0 {
		e := heap.Pop(&tr.queue).(pairEntry)
		if tr.banned[e.key] || tr.count[e.key] != e.count {
			continue // stale entry: the count has changed since it was queued
		}
		name := e.left + e.right
		if _, exists := tr.index[name]; exists {
			tr.banned[e.key] = true
			continue
		}
		tr.merge(e.key, name)
		return true
	}
	return false
}

// merge adds the symbol name made of pair key and rewrites every word holding the pair.
func (tr *trainer) merge(key uint64, name string) {
	left, right := int32(key>>32), int32(uint32(key))
	id := int32(len(tr.names))
	tr.names = append(tr.names, name)
	tr.index[name] = id
	tr.merges = append(tr.merges, Merge{Left: tr.names[left], Right: tr.names[right]})
	tr.steps++
	changed := map[uint64]bool{}
	holders := tr.where[key]
	delete(tr.where, key)
	for _, w := range holders {
		if tr.seen[w] == tr.steps {
			continue
		}
		tr.seen[w] = tr.steps
		tr.removePairs(w, changed)
		tr.words[w].syms = mergePair(tr.words[w].syms, left, right, id)
		tr.addPairs(w, changed)
	}
	for k := range changed {
		tr.push(k)
	}
}

// mergePair replaces each occurrence of (left, right) in syms, left to right, by id.
func mergePair(syms []int32, left, right, id int32) []int32 {
	out := syms[:0]
	for i := 0; i < len(syms); i++ {
		if i+1 < len(syms) && syms[i] == left && syms[i+1] == right {
			out = append(out, id)
			i++
			continue
		}
		out = append(out, syms[i])
	}
	return out
}

// pairEntry is a queued pair count; the queue pops the most frequent pair, ties broken by the
// symbols' names so that training is deterministic.
type pairEntry struct {
	count       int
	key         uint64
	left, right string
}

type pairQueue []pairEntry

func (q pairQueue) Len() int { return len(q) }
func (q pairQueue) Less(a, b int) bool {
	if q[a].count != q[b].count {
		return q[a].count > q[b].count
	}
	if q[a].left != q[b].left {
		return q[a].left < q[b].left
	}
	return q[a].right < q[b].right
}
func (q pairQueue) Swap(a, b int) { q[a], q[b] = q[b], q[a] }
func (q *pairQueue) Push(x any)   { *q = append(*q, x.(pairEntry)) }
func (q *pairQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
