package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteDir saves a vocabulary as a diffusers/transformers tokenizer folder: vocab.json,
// merges.txt (with CLIP's "#version" first line), special_tokens_map.json and
// tokenizer_config.json. It first checks that New accepts v and s, so Load can read back
// whatever it writes.
func WriteDir(dir string, v *Vocabulary, s Specials) error {
	if _, err := New(v, s); err != nil {
		return fmt.Errorf("tokenizer: write %s: %w", dir, err)
	}
	files, err := folderFiles(v, s)
	if err != nil {
		return fmt.Errorf("tokenizer: write %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tokenizer: write %s: %w", dir, err)
	}
	for _, name := range []string{VocabFile, MergesFile, SpecialTokensFile, ConfigFile} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("tokenizer: write %s: %w", dir, err)
		}
	}
	return nil
}

// folderFiles renders the four files of a tokenizer folder.
func folderFiles(v *Vocabulary, s Specials) (map[string][]byte, error) {
	var unk *string // null when there is none, which parseSpecials reads back as none
	if s.Unk != "" {
		unk = &s.Unk
	}
	tokens, err := marshalJSON(struct {
		BOS string  `json:"bos_token"`
		EOS string  `json:"eos_token"`
		Pad string  `json:"pad_token"`
		Unk *string `json:"unk_token"`
	}{s.BOS, s.EOS, s.Pad, unk})
	if err != nil {
		return nil, err
	}
	config, err := marshalJSON(struct {
		MaxLength int    `json:"model_max_length"`
		Lower     bool   `json:"do_lower_case"`
		Pad       string `json:"pad_token"`
		Class     string `json:"tokenizer_class"`
	}{s.MaxLength, true, s.Pad, "CLIPTokenizer"})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		VocabFile:         marshalVocab(v.Tokens),
		MergesFile:        marshalMerges(v.Merges),
		SpecialTokensFile: tokens,
		ConfigFile:        config,
	}, nil
}

// marshalJSON indents v and leaves '<', '>' and '&' as they are, so the files read like CLIP's.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
