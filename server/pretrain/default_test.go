package pretrain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/shapes"
	"github.com/cones2web/cones2/weights"
)

// defaultModel is the committed default model, relative to this package.
const defaultModel = "../../weights/default"

// TestCommittedDefaultModel checks the model the product ships: it verifies against its
// manifest and loads strictly, it has the recipe's architecture and tokenizer (so it is what
// "cones pretrain" makes) and settings file, it is float16 and within 20 MB.
func TestCommittedDefaultModel(t *testing.T) {
	if errs := weights.Verify(defaultModel); len(errs) > 0 {
		t.Fatalf("weights/default does not verify: %v", errs)
	}
	f, err := weights.Open(defaultModel)
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := trainVocabulary(shapes.NewSet(DefaultOptions("", "").Seed), DefaultSizes().VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	n := len(vocab.Tokens)
	te, u, v, err := DefaultSizes().Configs(n, n-2, n-1, n-1, weights.F16)
	if err != nil {
		t.Fatal(err)
	}
	v.ScalingFactor = f.VAE.ScalingFactor // measured by the run
	for _, c := range []struct {
		name      string
		got, want any
	}{{"text encoder", f.TextEncoder, te}, {"unet", f.UNet, u}, {"vae", f.VAE, v}} {
		g, _ := json.Marshal(c.got)
		w, _ := json.Marshal(c.want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s config differs from the recipe's:\n got %s\nwant %s", c.name, g, w)
		}
	}
	checkTokenizer(t, vocab)
	var total int64
	_ = filepath.WalkDir(defaultModel, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	want, err := DefaultRecommended().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if have, err := os.ReadFile(filepath.Join(defaultModel, weights.RecommendedName)); err != nil || !bytes.Equal(have, want) {
		t.Errorf("weights/default/%s is not DefaultRecommended (%v):\n got %s\nwant %s", weights.RecommendedName, err, have, want)
	}
	if total > 20<<20 {
		t.Errorf("weights/default holds %d bytes, over 20 MB", total)
	}
	checkF16(t, defaultModel)
}

// checkTokenizer: the committed tokenizer folder is, file for file, what pretraining writes for
// the recipe's vocabulary, and the product's loader reads it.
func checkTokenizer(t *testing.T, vocab *tokenizer.Vocabulary) {
	t.Helper()
	committed := filepath.Join(defaultModel, weights.TokenizerDir)
	if _, err := tokenizer.Load(committed); err != nil {
		t.Fatal(err)
	}
	want := t.TempDir()
	if err := tokenizer.WriteDir(want, vocab, tokenizer.CLIPSpecials(padToken)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{tokenizer.VocabFile, tokenizer.MergesFile, tokenizer.SpecialTokensFile, tokenizer.ConfigFile} {
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Fatal(err)
		}
		if w, _ := os.ReadFile(filepath.Join(want, name)); !bytes.Equal(got, w) {
			t.Errorf("weights/default/%s/%s differs from the recipe's (%d bytes, want %d)", weights.TokenizerDir, name, len(got), len(w))
		}
	}
}
