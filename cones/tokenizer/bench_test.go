package tokenizer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

var benchTexts = []struct{ name, text string }{
	{"prompt", "a photo of a sks dog and a red mug on the beach, highly detailed watercolor painting"},
	{"long", strings.Repeat("a cat, a dog and a teapot in the garden!! ", 12)},
	{"unicode", "naïve résumé 🐶 emoji, a café in Zürich, 日本語 カタカナ 한글, ΣΣ ὈΔΥΣΣΕΎΣ &amp; &#233;"},
}

// BenchmarkEncode reports tokenizer throughput: cache=warm is typing (words seen before),
// cache=cold runs BPE on every word.
func BenchmarkEncode(b *testing.B) {
	tk := clipTokenizer(b)
	for _, c := range benchTexts {
		for _, cache := range []string{"warm", "cold"} {
			b.Run("text="+c.name+",cache="+cache, func(b *testing.B) {
				tokens := len(tk.Encode(c.text))
				b.SetBytes(int64(len(c.text)))
				b.ReportAllocs()
				for b.Loop() {
					if cache == "cold" {
						tk.mu.Lock()
						clear(tk.cache)
						tk.mu.Unlock()
					}
					tk.Encode(c.text)
				}
				b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// BenchmarkSpans measures what the page runs on each keystroke: spans with offsets.
func BenchmarkSpans(b *testing.B) {
	tk := clipTokenizer(b)
	for _, c := range benchTexts {
		b.Run("text="+c.name, func(b *testing.B) {
			tokens := len(tk.Encode(c.text))
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			for b.Loop() {
				tk.Spans(c.text)
			}
			b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkLoad is the start-up cost of the real 49,408-token vocabulary.
func BenchmarkLoad(b *testing.B) {
	dir := filepath.Join(fixture.Variants(b)[0].Dir, "tokenizer")
	b.Run("vocab=clip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Load(dir); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTrain reports merges learned per second on the test corpus.
func BenchmarkTrain(b *testing.B) {
	corpus := trainCorpus
	for b.Loop() {
		v, err := Train(corpus, 600)
		if err != nil {
			b.Fatal(err)
		}
		_ = v
	}
	b.ReportMetric(float64(600-514)*float64(b.N)/b.Elapsed().Seconds(), "merges/s")
}
