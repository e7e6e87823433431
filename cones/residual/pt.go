package residual

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Bounds of a .pt file: a residual is a few kilobytes, the whole archive a few more.
const (
	MaxPTSize       = 4 << 20
	maxZipEntries   = 64
	maxStorageElems = 1 << 20
)

// ImportPT reads a residual saved with torch.save, the format of the official Cones 2
// repository (a zip archive holding data.pkl and the raw storage): a float tensor of shape
// [width] or [k, width] (float32, float16 or bfloat16, any strides). word is the subject's word;
// when empty it is the file name without directory and extension ("dog.pt" -> "dog").
//
// The result has no model: a .pt file does not say which text encoder it was made for, so the
// caller sets Model (and Created) before saving it in our format.
func ImportPT(fileName string, data []byte, word string) (*Residual, error) {
	if word == "" {
		word = WordFromFileName(fileName)
	}
	r, err := importPT(data, word)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path.Base(fileName), err)
	}
	return r, nil
}

// WordFromFileName is the default word of an imported file: its base name without extension.
func WordFromFileName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	return strings.TrimSuffix(base, path.Ext(base))
}

func importPT(data []byte, word string) (*Residual, error) {
	if len(data) > MaxPTSize {
		return nil, &TooLargeError{What: ".pt file", Size: int64(len(data)), Limit: MaxPTSize}
	}
	if err := checkWord(word); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return nil, errors.New("not a torch.save zip archive (files from PyTorch before 1.6 are not supported)")
	}
	arc, err := openArchive(data)
	if err != nil {
		return nil, err
	}
	t, err := arc.unpickleTensor()
	if err != nil {
		return nil, err
	}
	values, tokens, width, err := arc.materialise(t)
	if err != nil {
		return nil, err
	}
	if err := checkFinite(values); err != nil {
		return nil, err
	}
	return &Residual{Word: word, Tokens: tokens, Width: width, Data: values}, nil
}

// archive is an opened torch.save zip: records by name, all under one top folder.
type archive struct {
	prefix  string // "dog/" for dog/data.pkl
	records map[string]*zip.File
}

func openArchive(data []byte) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("zip holds %d entries, a tensor file at most %d", len(zr.File), maxZipEntries)
	}
	a := &archive{records: map[string]*zip.File{}}
	for _, f := range zr.File {
		a.records[f.Name] = f
		if dir, file := path.Split(f.Name); file == "data.pkl" && strings.Count(dir, "/") == 1 {
			if a.prefix != "" {
				return nil, errors.New("zip holds more than one data.pkl")
			}
			a.prefix = dir
		}
	}
	if a.prefix == "" {
		return nil, errors.New("zip has no <name>/data.pkl: not a torch.save file")
	}
	if _, ok := a.records[a.prefix+"constants.pkl"]; ok {
		return nil, errors.New("a TorchScript archive, not a saved tensor")
	}
	if f, ok := a.records[a.prefix+"byteorder"]; ok {
		b, err := a.read(f, 16)
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("byte order %q is not supported (only little)", clip(string(b)))
		}
	}
	return a, nil
}

// read returns a record's bytes, refusing records larger than limit before reading them.
func (a *archive) read(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("zip record %s is %d bytes, at most %d", clip(f.Name), f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip record %s: %w", clip(f.Name), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("zip record %s: %w", clip(f.Name), err)
	}
	if int64(len(b)) > limit || uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("zip record %s does not have its declared size", clip(f.Name))
	}
	return b, nil
}
