package tokenizer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// The files of a diffusers/transformers tokenizer folder.
const (
	VocabFile         = "vocab.json"
	MergesFile        = "merges.txt"
	SpecialTokensFile = "special_tokens_map.json"
	ConfigFile        = "tokenizer_config.json"
)

// Load reads a tokenizer folder (a diffusers model's tokenizer/) from disk.
func Load(dir string) (*Tokenizer, error) {
	return load(os.DirFS(dir), ".", dir)
}

// LoadFS reads the tokenizer folder at path dir of fsys (in the browser, files held in memory). vocab.json,
// merges.txt and special_tokens_map.json are required; tokenizer_config.json is optional (its
// model_max_length defaults to 77). Problems are *FileError values naming the file and line.
func LoadFS(fsys fs.FS, dir string) (*Tokenizer, error) {
	return load(fsys, dir, dir)
}

// load reads dir from fsys, naming it shown in errors.
func load(fsys fs.FS, dir, shown string) (*Tokenizer, error) {
	v, s, lines, err := readDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", shown, err)
	}
	t, err := build(v, s)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", shown, fileOf(err, lines))
	}
	return t, nil
}

func readDir(fsys fs.FS, dir string) (*Vocabulary, Specials, []int, error) {
	read := func(name string, optional bool) ([]byte, error) {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if optional && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, &FileError{File: name, Err: err}
		}
		return data, nil
	}
	var files [4][]byte
	for i, name := range []string{VocabFile, MergesFile, SpecialTokensFile, ConfigFile} {
		data, err := read(name, name == ConfigFile)
		if err != nil {
			return nil, Specials{}, nil, err
		}
		files[i] = data
	}
	tokens, err := parseVocab(files[0])
	if err != nil {
		return nil, Specials{}, nil, err
	}
	merges, lines, err := parseMerges(files[1])
	if err != nil {
		return nil, Specials{}, nil, err
	}
	s, err := parseSpecials(files[2], files[3])
	if err != nil {
		return nil, Specials{}, nil, err
	}
	return &Vocabulary{Tokens: tokens, Merges: merges}, s, lines, nil
}

// fileOf places an error from build in the file it comes from.
func fileOf(err error, lines []int) error {
	var me *mergeError
	if errors.As(err, &me) {
		return &FileError{File: MergesFile, Line: lines[me.index], Err: me.err}
	}
	var se *specialError
	if errors.As(err, &se) {
		file := SpecialTokensFile
		if se.key == "model_max_length" {
			file = ConfigFile
		}
		return &FileError{File: file, Err: se}
	}
	return &FileError{File: VocabFile, Err: err}
}
