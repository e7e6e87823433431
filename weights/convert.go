package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cones2web/cones2/internal/userfile"
)

// MaxShardBytes is the default size limit of one served weight file. Browsers and CDNs handle
// files below 1 GiB well, and the Cache Storage API stores each as one entry.
const MaxShardBytes = 1 << 30

// ConvertOptions tunes Convert.
type ConvertOptions struct {
	MaxShardBytes int64                         // per-file limit; 0 means MaxShardBytes
	Logf          func(format string, a ...any) // progress, or nil
}

// Convert writes the folder the server serves from the diffusers model folder src: the same
// layout, configs, scheduler and tokenizer files copied byte for byte, every floating-point
// weight as F16 (I64 buffers kept), components larger than the shard limit split the Hugging
// Face way with an index, and manifest.json last. The source is bound strictly first, so a
// model with missing, unused or misshapen tensors is refused. Tensors are streamed one at a
// time; dst must not exist or be empty.
//
// The folder is written under a hidden temporary name beside dst and renamed to dst only when
// it is complete, so a failed conversion leaves nothing behind (an interrupted one, a hidden
// ".<name>.partial-*" folder beside it) and running it again into the same dst works.
func Convert(src, dst string, opt ConvertOptions) (*Manifest, error) {
	if opt.MaxShardBytes <= 0 {
		opt.MaxShardBytes = MaxShardBytes
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	f, err := Open(src)
	if err != nil {
		return nil, err
	}
	model, err := f.Describe()
	if err != nil {
		return nil, err
	}
	if err := checkDst(dst); err != nil {
		return nil, err
	}
	parent, base := filepath.Split(filepath.Clean(dst))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".partial-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // nothing left after a rename
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	m, err := convertInto(f, model, tmp, opt)
	if err != nil {
		return nil, err
	}
	// An empty dst (allowed) is replaced; a dst that appeared meanwhile with files in it makes
	// the rename fail, and the converted folder is dropped rather than mixed into it.
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("output folder %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dst, err)
	}
	return m, nil
}

// convertInto writes the converted folder into dst (an empty folder).
func convertInto(f *Folder, model *Model, dst string, opt ConvertOptions) (*Manifest, error) {
	if err := copyConfigs(f.FS, dst); err != nil {
		return nil, err
	}
	for _, comp := range Components() {
		mod, _ := model.Module(comp)
		w, err := f.Weights(comp)
		if err != nil {
			return nil, err
		}
		b, err := w.Bind(mod)
		if err != nil {
			return nil, err
		}
		if err := writeComponent(f.FS, dst, comp, b, opt); err != nil {
			return nil, fmt.Errorf("convert %s: %w", comp, err)
		}
	}
	return WriteManifest(dst)
}

// WriteManifest builds the manifest of dir and writes it as dir/manifest.json.
func WriteManifest(dir string) (*Manifest, error) {
	m, err := BuildManifest(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return m, userfile.WriteFile(filepath.Join(dir, ManifestName), data, 0o644)
}

// checkDst refuses a dst that holds files: converting never mixes into or replaces a model.
func checkDst(dst string) error {
	entries, err := os.ReadDir(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("output folder %s is not empty", dst)
	}
	return nil
}

// servedConfigs are the non-weight files a served folder carries, the model's recommended
// settings (RecommendedName) among them when the source has them; everything else in the
// source (safety checker, feature extractor, .bin pickles, READMEs) is left behind.
func servedConfigs(fsys fs.FS) ([]string, error) {
	files := []string{"model_index.json", SchedulerDir + "/scheduler_config.json"}
	if _, err := fs.Stat(fsys, RecommendedName); err == nil {
		files = append(files, RecommendedName)
	}
	for _, c := range Components() {
		files = append(files, c+"/config.json")
	}
	tok, err := fs.ReadDir(fsys, TokenizerDir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	for _, e := range tok {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, TokenizerDir+"/"+e.Name())
		}
	}
	return files, nil
}

func copyConfigs(fsys fs.FS, dst string) error {
	files, err := servedConfigs(fsys)
	if err != nil {
		return err
	}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dst, filepath.FromSlash(name)), data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return userfile.WriteFile(p, data, 0o644)
}

// writeComponent converts the bound tensors of one component into one or more F16 files.
func writeComponent(fsys fs.FS, dst, comp string, b *Binding, opt ConvertOptions) error {
	readers := map[string]io.ReaderAt{}
	defer func() {
		for _, r := range readers {
			if c, ok := r.(io.Closer); ok {
				c.Close()
			}
		}
	}()
	var tensors []OutTensor
	for _, s := range b.Sources {
		if _, ok := readers[s.File]; !ok {
			r, _, _, err := openReaderAt(fsys, s.File)
			if err != nil {
				return err
			}
			readers[s.File] = r
		}
		tensors = append(tensors, convertedTensor(s, readers[s.File]))
	}
	return WriteComponent(dst, comp, tensors, opt)
}

// convertedTensor reads one source tensor when the writer reaches it and turns floats into F16.
func convertedTensor(s Source, r io.ReaderAt) OutTensor {
	out := OutTensor{Name: s.Param.Name, DType: s.Tensor.DType, Shape: s.Tensor.Shape}
	if s.Tensor.DType.IsFloat() {
		out.DType = F16
	}
	out.Bytes = func() ([]byte, error) {
		raw := make([]byte, s.Tensor.End-s.Tensor.Begin)
		if err := readFull(r, raw, s.Tensor.Begin); err != nil {
			return nil, fmt.Errorf("%s: read: %w", s.File, err)
		}
		if !s.Tensor.DType.IsFloat() {
			return raw, nil
		}
		return EncodeF16(s.Tensor.DType, raw)
	}
	return out
}

// WriteComponent writes tensors as the weight files of component comp under dst: one
// <stem>.safetensors when they fit in opt.MaxShardBytes, else numbered shards plus
// <stem>.safetensors.index.json.
func WriteComponent(dst, comp string, tensors []OutTensor, opt ConvertOptions) error {
	limit := opt.MaxShardBytes
	if limit <= 0 {
		limit = MaxShardBytes
	}
	shards, err := planShards(tensors, limit)
	if err != nil {
		return err
	}
	stem := weightBase(comp)
	names := make([]string, len(shards))
	for i := range shards {
		names[i] = stem + ".safetensors"
		if len(shards) > 1 {
			names[i] = fmt.Sprintf("%s-%05d-of-%05d.safetensors", stem, i+1, len(shards))
		}
	}
	dir := filepath.Join(dst, comp)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	index := shardIndex{Metadata: map[string]any{}, WeightMap: map[string]string{}}
	var total int64
	for i, shard := range shards {
		p := filepath.Join(dir, names[i])
		if opt.Logf != nil {
			opt.Logf("writing %s/%s (%d tensors)", comp, names[i], len(shard))
		}
		if err := writeShard(p, shard, limit); err != nil {
			return err
		}
		for _, t := range shard {
			index.WeightMap[t.Name] = names[i]
			total += t.NumBytes()
		}
	}
	if len(shards) == 1 {
		return nil
	}
	index.Metadata["total_size"] = total
	data, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return userfile.WriteFile(filepath.Join(dir, stem+".safetensors.index.json"), append(data, '\n'), 0o644)
}

// headerReserve is a generous bound on the JSON header bytes one tensor adds, so that a shard
// planned from data sizes stays under the limit once its header is written.
const headerReserve = 512

// planShards cuts the tensors, in the order the writer stores them (dtype, then name), into
// runs whose files stay within limit.
func planShards(tensors []OutTensor, limit int64) ([][]OutTensor, error) {
	sorted := slices.Clone(tensors)
	slices.SortFunc(sorted, func(a, b OutTensor) int {
		if c := writeRank(a.DType) - writeRank(b.DType); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	var shards [][]OutTensor
	var cur []OutTensor
	size := int64(8)
	for _, t := range sorted {
		need := t.NumBytes() + headerReserve + int64(len(t.Name))
		if need+8 > limit {
			return nil, fmt.Errorf("tensor %q is %d bytes, more than the %d-byte file limit", t.Name, t.NumBytes(), limit)
		}
		if size+need > limit && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 8
		}
		cur = append(cur, t)
		size += need
	}
	if len(cur) > 0 || len(shards) == 0 {
		shards = append(shards, cur)
	}
	return shards, nil
}

// writeRank orders dtypes as the safetensors library writes them (widest alignment first).
func writeRank(d DType) int {
	return map[DType]int{I64: 0, F32: 1, BF16: 2, F16: 3}[d]
}

// writeShard writes one safetensors file through a temporary name, so that a failed write never
// leaves a plausible-looking file behind.
func writeShard(p string, tensors []OutTensor, limit int64) error {
	tmp := p + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = WriteSafetensors(f, tensors, map[string]string{"format": "pt"})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(tmp); err == nil && st.Size() > limit {
			err = fmt.Errorf("%s: %d bytes, over the %d-byte limit", path.Base(p), st.Size(), limit)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, p)
}

// prepareDst makes dst, refusing one that holds files (WriteTiny writes in place).
func prepareDst(dst string) error {
	if err := checkDst(dst); err != nil {
		return err
	}
	return os.MkdirAll(dst, 0o755)
}
