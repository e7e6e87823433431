package tokenizer

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// loaded caches each fixture tokenizer folder across tests (parsing 49,408 tokens takes a while).
var loaded sync.Map // dir -> *Tokenizer

// variantTokenizer loads the tokenizer/ folder of a fixture model variant.
func variantTokenizer(t testing.TB, v fixture.Variant) *Tokenizer {
	t.Helper()
	dir := filepath.Join(v.Dir, "tokenizer")
	if tk, ok := loaded.Load(dir); ok {
		return tk.(*Tokenizer)
	}
	tk, err := Load(dir)
	if err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	loaded.Store(dir, tk)
	return tk
}

// clipTokenizer is the tokenizer of the first fixture variant: the real CLIP vocabulary, which
// every variant shares (they differ only in padding).
func clipTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	return variantTokenizer(t, fixture.Variants(t)[0])
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// loadVocabulary reads a tokenizer folder's vocabulary and special tokens without building a
// tokenizer, so tests can inspect or re-save one; the product only ever loads whole tokenizers.
func loadVocabulary(fsys fs.FS, dir string) (*Vocabulary, Specials, error) {
	v, s, _, err := readDir(fsys, dir)
	if err != nil {
		return nil, Specials{}, fmt.Errorf("load tokenizer %s: %w", dir, err)
	}
	return v, s, nil
}
