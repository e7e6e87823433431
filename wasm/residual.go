//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/wasm/library"
)

// requestModel is the served model as the shared request builder (cones/request) needs it:
// the text encoder residuals must match, the networks' description and the scheduler config.
// Its configs and its text encoder's fingerprint are read together (readIdentity).
func (a *app) requestModel() (request.Model, error) {
	if a.model.desc == nil || a.model.folder == nil {
		return request.Model{}, errors.New("its configuration could not be read (see Model, above), so the request cannot be sized to it")
	}
	id, _, err := a.modelID()
	if err != nil {
		return request.Model{}, err
	}
	return request.Model{ID: id, Networks: a.model.desc, Scheduler: a.model.folder.Scheduler}, nil
}

// modelID is the loaded model as residual files name it, and the text encoder's width.
func (a *app) modelID() (residual.Model, int, error) {
	if a.model.fingerprint == "" {
		return residual.Model{}, 0, errors.New("the model's text encoder is not known (its files could not be read), so residuals cannot be checked against it")
	}
	return residual.Model{Family: a.model.family, TextEncoder: a.model.fingerprint}, a.model.width, nil
}

// importResidual reads a residual file: ours (.safetensors, which says which model it was made
// for, and is refused for another one) or the official .pt (which does not say, so it is taken
// for the loaded model if its width fits). The library keeps it in our format either way.
func (a *app) importResidual(name string, data []byte) (library.Subject, error) {
	m, width, err := a.modelID()
	if err != nil {
		return library.Subject{}, err
	}
	var r *residual.Residual
	file := data
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".pt":
		if r, err = residual.ImportPT(name, data, ""); err != nil {
			return library.Subject{}, err
		}
		r.Model, r.Created = m, time.Now().UTC()
		if err = r.Check(m, width); err != nil {
			return library.Subject{}, err
		}
		if file, err = r.Marshal(); err != nil {
			return library.Subject{}, err
		}
	case ".safetensors":
		if r, err = residual.Load(data, m, width); err != nil {
			return library.Subject{}, err
		}
	default:
		return library.Subject{}, fmt.Errorf("not a residual file: use our .safetensors files or the official .pt files")
	}
	if err := library.CheckWord(r.Word); err != nil {
		return library.Subject{}, fmt.Errorf("its word cannot be used in a prompt: %w", err)
	}
	return subjectOf(r, file, name), nil
}

func subjectOf(r *residual.Residual, file []byte, source string) library.Subject {
	return library.Subject{
		ID: library.VectorID(r.Data), Word: r.Word, Model: r.Model.Family, Fingerprint: r.Model.TextEncoder,
		Width: r.Width, Size: len(file), Source: source, Added: time.Now().UTC(), Data: file,
	}
}

// renameResidual rewrites the file with the new word: the exported file must say the word the
// person uses. The ID (the vector) stays.
func renameResidual(s library.Subject, word string) (library.Subject, error) {
	r, err := residual.Unmarshal(s.Data)
	if err != nil {
		return library.Subject{}, err
	}
	r.Word = word
	file, err := r.Marshal()
	if err != nil {
		return library.Subject{}, err
	}
	s.Word, s.Data, s.Size = word, file, len(file)
	return s, nil
}

// checkStoredResidual verifies a subject read back from IndexedDB: its file parses and is the
// residual its record names.
func checkStoredResidual(s library.Subject) error {
	r, err := residual.Unmarshal(s.Data)
	if err != nil {
		return fmt.Errorf("stored subject %q: %w", s.Word, err)
	}
	if library.VectorID(r.Data) != s.ID || r.Word != s.Word {
		return fmt.Errorf("stored subject %q: its file does not match its record", s.Word)
	}
	return nil
}
