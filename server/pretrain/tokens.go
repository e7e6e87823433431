package pretrain

import (
	"fmt"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/shapes"
)

// tokenizerCaptions is how many captions of the set the BPE vocabulary is learned from: enough
// to hold every word of the world many times over.
const tokenizerCaptions = 20000

// trainVocabulary learns the BPE vocabulary from the set's captions. Every word of the world
// ends up as one token, because the corpus repeats the few words it has.
func trainVocabulary(set shapes.Set, size int) (*tokenizer.Vocabulary, error) {
	v, err := tokenizer.Train(captions(set, 0, tokenizerCaptions), size)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return v, nil
}
