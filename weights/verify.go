package weights

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// Verify checks a served model folder against its manifest: every listed file present with
// the recorded size and SHA-256, no unlisted files, every safetensors header valid and equal to
// its manifest entry, the configs valid, and every component binding strictly to the
// description its config implies. It returns every problem found (nil when there are none);
// one broken file does not hide the others.
func Verify(dir string) []error { return VerifyFS(os.DirFS(dir)) }

// VerifyFS is Verify on a file system rooted at the model folder.
func VerifyFS(fsys fs.FS) []error {
	data, err := fs.ReadFile(fsys, ManifestName)
	if err != nil {
		return []error{err}
	}
	m, err := ParseManifest(data)
	if err != nil {
		return []error{err}
	}
	var problems []error
	listed := map[string]bool{}
	for _, want := range m.Files {
		listed[want.Path] = true
		if err := verifyFile(fsys, want); err != nil {
			problems = append(problems, err)
		}
	}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, err)
			return nil
		}
		if !d.IsDir() && p != ManifestName && !listed[p] {
			problems = append(problems, fmt.Errorf("%s: not listed in %s", p, ManifestName))
		}
		return nil
	})
	return append(problems, verifyModel(fsys, m)...)
}

func verifyFile(fsys fs.FS, want ManifestFile) error {
	st, err := fs.Stat(fsys, want.Path)
	if err != nil {
		return err
	}
	if st.Size() != want.Size {
		return fmt.Errorf("%s: %d bytes, manifest says %d", want.Path, st.Size(), want.Size)
	}
	got, err := describeFile(fsys, want.Path)
	if err != nil {
		return err
	}
	switch {
	case got.SHA256 != want.SHA256:
		return fmt.Errorf("%s: sha256 %s, manifest says %s", want.Path, got.SHA256, want.SHA256)
	case got.DataStart != want.DataStart || !slices.EqualFunc(got.Tensors, want.Tensors, sameTensor):
		return fmt.Errorf("%s: tensor table differs from the manifest", want.Path)
	}
	return nil
}

func sameTensor(a, b ManifestTensor) bool {
	return a.Name == b.Name && a.DType == b.DType && a.Range == b.Range && slices.Equal(a.Shape, b.Shape)
}

// verifyModel opens the folder as a model and binds each component, both through the files on
// disk and through the manifest's tensor tables (what the browser binds against).
func verifyModel(fsys fs.FS, m *Manifest) []error {
	f, err := OpenFS(fsys)
	if err != nil {
		return []error{err}
	}
	model, err := f.Describe()
	if err != nil {
		return []error{err}
	}
	var problems []error
	for _, comp := range Components() {
		mod, _ := model.Module(comp)
		w, err := f.Weights(comp)
		if err == nil {
			_, err = w.Bind(mod)
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		hs, err := m.Weights(comp)
		if err == nil {
			_, err = Bind(mod, hs)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s (manifest): %w", comp, err))
		}
	}
	return problems
}
