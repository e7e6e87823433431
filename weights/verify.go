package weights

import (
	"errors"
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
// disk and through the manifest's tensor tables (what the browser binds against; m nil: the
// files only).
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
		if m == nil { // no manifest: the files alone
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

// VerifyQuick is the check a server makes before it serves a folder: what costs no more than
// reading configs and headers. With a manifest: every listed file present, a regular file of
// the recorded size, every safetensors header valid and equal to its entry, and every
// component binding. Without one (a diffusers folder that was not converted): every component's
// weights bind to its config. The SHA-256 sums are left to Verify. It returns every problem
// found, each naming its file relative to the folder, and whether there was a manifest.
func VerifyQuick(fsys fs.FS) (manifest bool, problems []error) {
	data, err := fs.ReadFile(fsys, ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return false, verifyModel(fsys, nil)
	}
	if err != nil {
		return true, []error{err}
	}
	m, err := ParseManifest(data)
	if err != nil {
		return true, []error{fmt.Errorf("%s: %w", ManifestName, err)}
	}
	for _, want := range m.Files {
		if err := verifySize(fsys, want); err != nil {
			problems = append(problems, err)
		}
	}
	if problems != nil {
		return true, problems // binding would only repeat them
	}
	return true, verifyModel(fsys, m)
}

// verifySize checks one listed file without hashing it.
func verifySize(fsys fs.FS, want ManifestFile) error {
	st, err := fs.Stat(fsys, want.Path)
	switch {
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file", want.Path)
	case st.Size() != want.Size:
		return fmt.Errorf("%s: %d bytes, manifest says %d", want.Path, st.Size(), want.Size)
	case !want.IsSafetensors():
		return nil
	}
	r, size, closeFn, err := openReaderAt(fsys, want.Path)
	if err != nil {
		return err
	}
	defer closeFn()
	h, err := ParseHeader(want.Path, r, size)
	if err != nil {
		return err
	}
	got := make([]ManifestTensor, len(h.Tensors))
	for i, t := range h.Tensors {
		got[i] = ManifestTensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Range: [2]int64{t.Begin, t.End}}
	}
	if h.DataStart != want.DataStart || !slices.EqualFunc(got, want.Tensors, sameTensor) {
		return fmt.Errorf("%s: tensor table differs from the manifest", want.Path)
	}
	return nil
}
