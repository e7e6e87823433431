package subject

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cones2web/cones2/weights"
)

// The sentence sets a residual can be averaged over.
const (
	// OfficialSentences are the 27 templates of the official train_cones2.py ("a photo of a
	// {}", ...), the set its published residuals were made with.
	OfficialSentences = "official"
	// VariedSentences are 1,000 sentences composed from our own word lists (sentences/*.txt):
	// many framings, scenes and styles, closer to the paper's 1,000 sentences.
	VariedSentences = "varied"
	// ModelSentences are the templates the model folder recommends (weights.RecommendedName):
	// a model trained on another world than photos and their captions (the default shapes
	// model) has never read "a photo of a {}", and its residual is averaged over its own.
	ModelSentences = "model"
)

// variedCount is the size of the varied set (the paper's count).
const variedCount = 1000

//go:embed sentences/*.txt
var sentenceFiles embed.FS

// SentenceSets lists the names SentenceSet accepts.
func SentenceSets() []string { return []string{OfficialSentences, VariedSentences, ModelSentences} }

// SentenceSet returns the templates of a set; each holds the word's place as "{}" exactly once.
// The model set is the model's own (see ModelSentenceSet); here it is an empty list.
func SentenceSet(name string) ([]string, error) {
	switch name {
	case ModelSentences:
		return nil, nil
	case OfficialSentences:
		return readLines("official.txt")
	case VariedSentences:
		return variedSentences()
	}
	return nil, fmt.Errorf("unknown sentence set %q (have %s)", name, strings.Join(SentenceSets(), ", "))
}

// SentenceHash identifies a list of templates (recorded with the residual, so that the exact
// set it was averaged over is known even if the lists change later).
func SentenceHash(templates []string) string {
	h := sha256.New()
	for _, t := range templates {
		h.Write([]byte(t))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// readLines reads a list of this package's data: one entry per line, # comments and blank
// lines skipped.
func readLines(file string) ([]string, error) {
	data, err := sentenceFiles.ReadFile("sentences/" + file)
	if err != nil {
		return nil, fmt.Errorf("sentences: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, nil
}

// variedSentences composes the varied set: frames filled with an opening, a subject phrase
// (holding "{}"), a scene and a style. Combinations are visited in a fixed scrambled order
// (a stride coprime with their count) so that neighbouring sentences differ in every slot, and
// duplicates (frames that leave slots out) are skipped.
func variedSentences() ([]string, error) {
	var lists [5][]string
	for i, f := range []string{"frames.txt", "openings.txt", "subjects.txt", "scenes.txt", "styles.txt"} {
		l, err := readLines(f)
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("sentences: %s is empty", f)
		}
		lists[i] = l
	}
	n := 1
	for _, l := range lists {
		n *= len(l)
	}
	const stride = 1000003 // a prime: coprime with n unless it divides n
	if n%stride == 0 {
		return nil, fmt.Errorf("sentences: %d combinations is a multiple of the stride %d", n, stride)
	}
	seen := map[string]bool{}
	out := make([]string, 0, variedCount)
	for i := 0; len(out) < variedCount && i < n; i++ {
		k := (i * stride) % n
		var pick [5]string
		for j, l := range lists {
			pick[j] = l[k%len(l)]
			k /= len(l)
		}
		s := strings.NewReplacer("{opening}", pick[1], "{subject}", pick[2], "{scene}", pick[3], "{style}", pick[4]).Replace(pick[0])
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) < variedCount {
		return nil, fmt.Errorf("sentences: the lists make only %d distinct sentences, want %d", len(out), variedCount)
	}
	return out, nil
}

// Fill puts word in a template.
func Fill(template, word string) string { return strings.Replace(template, "{}", word, 1) }

// ModelSentenceSet returns the templates of a set for a model folder: the folder's own for
// ModelSentences (an error when it recommends none), SentenceSet's otherwise.
func ModelSentenceSet(name string, r weights.Recommended) ([]string, error) {
	if name != ModelSentences {
		return SentenceSet(name)
	}
	if len(r.Training.Sentences) == 0 {
		return nil, fmt.Errorf("sentences %q: the model folder recommends no sentences (%s); use %s or %s",
			name, weights.RecommendedName, OfficialSentences, VariedSentences)
	}
	return r.Training.Sentences, nil
}
