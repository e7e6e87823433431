package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// ManifestName is the file that lists every file of a served model folder.
const ManifestName = "manifest.json"

// ManifestVersion is the format version written and accepted.
const ManifestVersion = 1

// Manifest lists every file of a served model folder with its size and SHA-256, and for
// safetensors files the validated tensor table, so that the browser can plan range requests
// and check what it downloaded without parsing headers first.
type Manifest struct {
	Version int            `json:"version"`
	Files   []ManifestFile `json:"files"` // sorted by Path
}

// ManifestFile is one file of the folder.
type ManifestFile struct {
	Path      string           `json:"path"` // slash-separated, relative to the folder
	Size      int64            `json:"size"`
	SHA256    string           `json:"sha256"`               // lowercase hex
	DataStart int64            `json:"data_start,omitempty"` // safetensors: 8 + header length
	Tensors   []ManifestTensor `json:"tensors,omitempty"`    // safetensors: in file order
}

// ManifestTensor is one tensor of a safetensors file.
type ManifestTensor struct {
	Name  string   `json:"name"`
	DType DType    `json:"dtype"`
	Shape []int    `json:"shape"`
	Range [2]int64 `json:"range"` // absolute byte offsets in the file, [begin, end)
}

// IsSafetensors reports whether the file is a safetensors file (by name).
func (f ManifestFile) IsSafetensors() bool { return strings.HasSuffix(f.Path, ".safetensors") }

// File looks a file up by path.
func (m *Manifest) File(p string) (ManifestFile, bool) {
	i, ok := slices.BinarySearchFunc(m.Files, p, func(f ManifestFile, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return ManifestFile{}, false
	}
	return m.Files[i], true
}

// Header rebuilds the validated header of a safetensors file from its manifest entry, applying
// the same checks as DecodeHeader.
func (f ManifestFile) Header() (*Header, error) {
	if !f.IsSafetensors() {
		return nil, formatErr(f.Path, "", "not a safetensors file")
	}
	if f.DataStart < 8 || f.DataStart-8 > MaxHeaderBytes || f.DataStart > f.Size {
		return nil, formatErr(f.Path, "", "data_start %d is not inside the %d-byte file", f.DataStart, f.Size)
	}
	h := &Header{File: f.Path, Size: f.Size, DataStart: f.DataStart, index: map[string]int{}}
	for _, t := range f.Tensors {
		if _, dup := h.index[t.Name]; dup {
			return nil, formatErr(f.Path, t.Name, "listed twice")
		}
		e := rawEntry{dtype: string(t.DType)}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, formatErr(f.Path, t.Name, "negative dimension in shape %v", t.Shape)
			}
			e.shape = append(e.shape, uint64(d))
		}
		for _, o := range t.Range {
			if o < f.DataStart {
				return nil, formatErr(f.Path, t.Name, "range %v starts before the data area at %d", t.Range, f.DataStart)
			}
			e.offsets = append(e.offsets, uint64(o-f.DataStart))
		}
		ti, err := e.info(h, t.Name)
		if err != nil {
			return nil, fmt.Errorf("range %v: %w", t.Range, err)
		}
		h.index[t.Name] = len(h.Tensors)
		h.Tensors = append(h.Tensors, ti)
	}
	if err := h.checkRanges(); err != nil {
		return nil, err
	}
	for i, t := range h.Tensors { // checkRanges sorts
		h.index[t.Name] = i
	}
	return h, nil
}

// shardSuffix matches what follows the stem in the weight files of a component:
// ".safetensors", or the Hugging Face shard suffix "-00001-of-00002.safetensors".
var shardSuffix = regexp.MustCompile(`^(-\d{5}-of-\d{5})?\.safetensors$`)

// Weights returns the validated headers of a component's weight files as the manifest lists
// them, ready for Bind: what the browser binds a description against before fetching ranges.
func (m *Manifest) Weights(component string) ([]*Header, error) {
	var out []*Header
	for _, f := range m.Files {
		dir, name := path.Split(f.Path)
		rest, ok := strings.CutPrefix(name, weightBase(component))
		if dir != component+"/" || !ok || !shardSuffix.MatchString(rest) {
			continue
		}
		h, err := f.Header()
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: manifest lists no weight files for it", component)
	}
	return out, nil
}

// ParseManifest decodes manifest.json and validates it: known version, safe unique paths,
// and a consistent tensor table for every safetensors file.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, formatErr(ManifestName, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if m.Version != ManifestVersion {
		return nil, formatErr(ManifestName, "", "version %d, want %d", m.Version, ManifestVersion)
	}
	for i, f := range m.Files {
		if !fs.ValidPath(f.Path) || f.Path == "." || f.Path == ManifestName {
			return nil, formatErr(ManifestName, "", "file path %q is not a relative slash path inside the folder", f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, formatErr(ManifestName, "", "files are not sorted and unique at %q", f.Path)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return nil, formatErr(ManifestName, "", "%s: sha256 %q is not 64 hex digits", f.Path, f.SHA256)
		}
		if f.Size < 0 {
			return nil, formatErr(ManifestName, "", "%s: negative size", f.Path)
		}
		if f.IsSafetensors() {
			if _, err := f.Header(); err != nil {
				return nil, fmt.Errorf("%s: %w", ManifestName, err)
			}
		} else if len(f.Tensors) > 0 || f.DataStart != 0 {
			return nil, formatErr(ManifestName, "", "%s: tensors listed for a file that is not safetensors", f.Path)
		}
	}
	return &m, nil
}

// BuildManifest hashes every regular file of fsys (except manifest.json itself) and records the
// tensor table of every safetensors file, validating its header on the way.
func BuildManifest(fsys fs.FS) (*Manifest, error) {
	m := &Manifest{Version: ManifestVersion}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || p == ManifestName {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		f, err := describeFile(fsys, p)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir visits in lexical order per directory, which is not global path order
	// ("a/b" vs "a.json"), so sort.
	slices.SortFunc(m.Files, func(a, b ManifestFile) int { return strings.Compare(a.Path, b.Path) })
	return m, nil
}

// describeFile hashes one file and, for safetensors, lists its tensors.
func describeFile(fsys fs.FS, p string) (ManifestFile, error) {
	r, size, closeFn, err := openReaderAt(fsys, p)
	if err != nil {
		return ManifestFile{}, err
	}
	defer closeFn()
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(r, 0, size)); err != nil {
		return ManifestFile{}, fmt.Errorf("%s: %w", p, err)
	}
	f := ManifestFile{Path: p, Size: size, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if f.IsSafetensors() {
		h, err := ParseHeader(p, r, size)
		if err != nil {
			return ManifestFile{}, err
		}
		f.DataStart = h.DataStart
		for _, t := range h.Tensors {
			f.Tensors = append(f.Tensors, ManifestTensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Range: [2]int64{t.Begin, t.End}})
		}
	}
	return f, nil
}

// Marshal encodes the manifest as JSON with one file per line: compact enough for the
// browser, still readable with a pager.
func (m *Manifest) Marshal() ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "{\"version\":%d,\"files\":[", m.Version)
	for i, f := range m.Files {
		line, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return []byte(b.String()), nil
}
