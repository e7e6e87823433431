package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Specials names the special tokens and the context length, as special_tokens_map.json and
// tokenizer_config.json of a diffusers tokenizer folder do.
type Specials struct {
	BOS string // start of text, "<|startoftext|>" in CLIP
	EOS string // end of text, "<|endoftext|>" in CLIP
	// Pad fills prompts up to MaxLength: "<|endoftext|>" in SD 1.x, "!" (id 0) in SD 2.x.
	Pad string
	// Unk stands for a symbol the vocabulary lacks; CLIP's vocabulary has every byte, so it is
	// only used by incomplete vocabularies. Empty means none.
	Unk string
	// MaxLength is the text encoder's context: 77 for every Stable Diffusion text encoder.
	MaxLength int
}

// DefaultMaxLength is CLIP's context length, used when tokenizer_config.json does not set one.
const DefaultMaxLength = 77

// CLIPSpecials returns CLIP's special tokens with the given pad token.
func CLIPSpecials(pad string) Specials {
	return Specials{BOS: startOfText, EOS: endOfText, Pad: pad, Unk: endOfText, MaxLength: DefaultMaxLength}
}

// specialKeys are the JSON keys of the special tokens, in both files.
var specialKeys = [...]string{"bos_token", "eos_token", "pad_token", "unk_token"}

func (s *Specials) field(key string) *string {
	switch key {
	case "bos_token":
		return &s.BOS
	case "eos_token":
		return &s.EOS
	case "pad_token":
		return &s.Pad
	default:
		return &s.Unk
	}
}

// parseSpecials reads special_tokens_map.json and, when present (config != nil),
// tokenizer_config.json. Tokens come from the map first, then the config, then Hugging Face's
// CLIPTokenizer defaults; the length comes from the config's model_max_length.
func parseSpecials(tokensMap, config []byte) (Specials, error) {
	s := Specials{MaxLength: DefaultMaxLength}
	fromMap, err := specialTokens("special_tokens_map.json", tokensMap)
	if err != nil {
		return s, err
	}
	fromConfig := map[string]string{}
	if config != nil {
		if fromConfig, err = specialTokens("tokenizer_config.json", config); err != nil {
			return s, err
		}
		if s.MaxLength, err = maxLength(config); err != nil {
			return s, err
		}
	}
	defaults := CLIPSpecials(endOfText)
	for _, k := range specialKeys {
		v, ok := fromMap[k]
		if !ok {
			v, ok = fromConfig[k]
		}
		if !ok {
			v = *defaults.field(k)
		}
		*s.field(k) = v
	}
	return s, nil
}

// specialTokens reads the special token entries of a JSON object: each is a string or, in newer
// files, an object whose "content" is the string.
func specialTokens(file string, data []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonFileError(file, data, err)
	}
	out := map[string]string{}
	for _, k := range specialKeys {
		msg, ok := raw[k]
		if !ok {
			continue
		}
		if bytes.Equal(bytes.TrimSpace(msg), []byte("null")) {
			out[k] = "" // explicitly none
			continue
		}
		var str string
		if err := json.Unmarshal(msg, &str); err == nil {
			out[k] = str
			continue
		}
		var obj struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(msg, &obj); err != nil || obj.Content == nil {
			return nil, &FileError{File: file, Err: fmt.Errorf("%s is %s, want a string or an object with \"content\"", k, msg)}
		}
		out[k] = *obj.Content
	}
	return out, nil
}

// hfUnsetLength is the value (1e30) Hugging Face writes for model_max_length when a tokenizer has
// no limit of its own; anything this large means "not set".
var hfUnsetLength = new(big.Float).SetFloat64(1e18)

// maxLength reads model_max_length; absent or Hugging Face's "unset" value gives CLIP's 77.
func maxLength(config []byte) (int, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(config, &raw); err != nil {
		return 0, jsonFileError("tokenizer_config.json", config, err)
	}
	msg, ok := raw["model_max_length"]
	if !ok || string(bytes.TrimSpace(msg)) == "null" {
		return DefaultMaxLength, nil
	}
	bad := &FileError{File: "tokenizer_config.json", Err: fmt.Errorf("model_max_length %s is not an integer from 2 to %d", msg, maxVocab)}
	f, _, err := big.ParseFloat(string(bytes.TrimSpace(msg)), 10, 128, big.ToNearestEven)
	if err != nil {
		return 0, bad
	}
	if f.Cmp(hfUnsetLength) >= 0 {
		return DefaultMaxLength, nil
	}
	n, acc := f.Int64()
	if acc != big.Exact || n < 2 || n > maxVocab {
		return 0, bad
	}
	return int(n), nil
}

func jsonFileError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return lineError(file, data, se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return lineError(file, data, te.Offset, err)
	}
	return &FileError{File: file, Err: err}
}
