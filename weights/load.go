package weights

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Weights is the validated headers of one component's safetensors file(s), with the file
// system they came from.
type Weights struct {
	Component string
	Files     []*Header // one per shard, File being the path inside the model folder
	fsys      fs.FS
}

// Tensor is a loaded float32 tensor in PyTorch layout.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Bind matches the description m against the files (see Bind).
func (w *Weights) Bind(m Module) (*Binding, error) {
	b, err := Bind(m, w.Files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Component, err)
	}
	return b, nil
}

// LoadFloat32 binds m strictly and reads every floating-point parameter as float32, keyed by
// the description's names. Integer buffers (position_ids) are checked but not loaded.
func (w *Weights) LoadFloat32(m Module) (map[string]Tensor, error) {
	b, err := w.Bind(m)
	if err != nil {
		return nil, err
	}
	out, err := LoadFloat32(w.fsys, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Component, err)
	}
	return out, nil
}

// LoadFloat32 reads the floating-point parameters of a binding from fsys, one file open at a
// time and one tensor in memory beyond the result.
func LoadFloat32(fsys fs.FS, b *Binding) (map[string]Tensor, error) {
	out := make(map[string]Tensor, len(b.Sources))
	byFile := map[string][]Source{}
	var files []string
	for _, s := range b.Sources {
		if !s.Param.DType.IsFloat() {
			continue
		}
		if _, ok := byFile[s.File]; !ok {
			files = append(files, s.File)
		}
		byFile[s.File] = append(byFile[s.File], s)
	}
	for _, name := range files {
		if err := loadFile(fsys, name, byFile[name], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadFile(fsys fs.FS, name string, sources []Source, out map[string]Tensor) error {
	r, size, closeFn, err := openReaderAt(fsys, name)
	if err != nil {
		return err
	}
	defer closeFn()
	// Re-validate: the file may have changed since the binding was made.
	h, err := ParseHeader(name, r, size)
	if err != nil {
		return err
	}
	for _, s := range sources {
		t, ok := h.Tensor(s.Tensor.Name)
		if !ok || t.Begin != s.Tensor.Begin || t.End != s.Tensor.End || t.DType != s.Tensor.DType {
			return formatErr(name, s.Tensor.Name, "changed since its header was read")
		}
		data, err := h.ReadFloat32(r, t.Name)
		if err != nil {
			return err
		}
		out[s.Param.Name] = Tensor{Shape: slices.Clone(s.Param.Shape), Data: data}
	}
	return nil
}

// shardIndex is <stem>.safetensors.index.json.
type shardIndex struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// openSharded reads a shard index and validates every shard it names: each tensor must be in
// the shard the index says, and each shard tensor must be in the index.
func openSharded(fsys fs.FS, indexPath string) (*Weights, error) {
	data, err := fs.ReadFile(fsys, indexPath)
	if err != nil {
		return nil, err
	}
	var idx shardIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, formatErr(indexPath, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(idx.WeightMap) == 0 {
		return nil, formatErr(indexPath, "", "weight_map is empty")
	}
	dir := path.Dir(indexPath)
	names := slices.Sorted(maps.Keys(idx.WeightMap))
	var shards []string
	for _, name := range names {
		shard := idx.WeightMap[name]
		if shard != path.Base(shard) || !strings.HasSuffix(shard, ".safetensors") || strings.HasPrefix(shard, ".") {
			return nil, formatErr(indexPath, name, "shard %q is not a .safetensors file name in the same folder", shard)
		}
		if !slices.Contains(shards, shard) {
			shards = append(shards, shard)
		}
	}
	slices.Sort(shards)
	w := &Weights{Component: dir, fsys: fsys}
	for _, shard := range shards {
		h, err := parseFileHeader(fsys, path.Join(dir, shard))
		if err != nil {
			return nil, err
		}
		for _, t := range h.Tensors {
			if idx.WeightMap[t.Name] != shard {
				return nil, formatErr(h.File, t.Name, "not listed for this shard in %s", indexPath)
			}
		}
		w.Files = append(w.Files, h)
	}
	for _, name := range names {
		shard := idx.WeightMap[name]
		h := w.Files[slices.Index(shards, shard)]
		if _, ok := h.Tensor(name); !ok {
			return nil, formatErr(indexPath, name, "listed in shard %s, which does not hold it", shard)
		}
	}
	return w, nil
}
