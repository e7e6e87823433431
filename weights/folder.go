package weights

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/cones2web/cones2/cones/schedule"
)

// The folders of a diffusers Stable Diffusion pipeline.
const (
	TextEncoderDir = "text_encoder"
	TokenizerDir   = "tokenizer"
	UNetDir        = "unet"
	VAEDir         = "vae"
	SchedulerDir   = "scheduler"
)

// Folder is an opened diffusers model folder with every config parsed and validated. Weights
// are not read until a component's Weights is asked for.
type Folder struct {
	FS          fs.FS
	Index       ModelIndex
	TextEncoder TextEncoderConfig
	UNet        UNetConfig
	VAE         VAEConfig
	// Scheduler is scheduler/scheduler_config.json parsed and validated by cones/schedule;
	// SchedulerConfig holds the file's bytes as stored.
	Scheduler       schedule.Config
	SchedulerConfig []byte
	// Recommended are the settings that suit the model (cones.json, or the official ones).
	Recommended Recommended
}

// Open opens the diffusers model folder dir.
func Open(dir string) (*Folder, error) {
	f, err := OpenFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", dir, err)
	}
	return f, nil
}

// OpenFS opens a model folder given as a file system rooted at the folder.
func OpenFS(fsys fs.FS) (*Folder, error) {
	f := &Folder{FS: fsys}
	steps := []struct {
		file  string
		parse func([]byte) error
	}{
		{"model_index.json", func(b []byte) (err error) { f.Index, err = ParseModelIndex(b); return }},
		{TextEncoderDir + "/config.json", func(b []byte) (err error) { f.TextEncoder, err = ParseTextEncoderConfig(b); return }},
		{UNetDir + "/config.json", func(b []byte) (err error) { f.UNet, err = ParseUNetConfig(b); return }},
		{VAEDir + "/config.json", func(b []byte) (err error) { f.VAE, err = ParseVAEConfig(b); return }},
		{SchedulerDir + "/scheduler_config.json", func(b []byte) (err error) {
			f.SchedulerConfig = b
			f.Scheduler, err = schedule.ParseConfig(b)
			return
		}},
	}
	for _, s := range steps {
		data, err := fs.ReadFile(fsys, s.file)
		if err != nil {
			return nil, err
		}
		if err := s.parse(data); err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
	}
	r, err := LoadRecommended(fsys)
	if err != nil {
		return nil, err
	}
	f.Recommended = r
	return f, nil
}

// Model is the description of a whole pipeline.
type Model struct {
	TextEncoder *TextEncoder
	UNet        *UNet
	VAE         *VAE
}

// Describe builds the descriptions of the three networks from the folder's configs.
func (f *Folder) Describe() (*Model, error) {
	te, err := DescribeTextEncoder(f.TextEncoder)
	if err != nil {
		return nil, err
	}
	u, err := DescribeUNet(f.UNet)
	if err != nil {
		return nil, err
	}
	v, err := DescribeVAE(f.VAE)
	if err != nil {
		return nil, err
	}
	return &Model{TextEncoder: te, UNet: u, VAE: v}, nil
}

// Module returns the description of a component folder (text_encoder, unet or vae).
func (m *Model) Module(component string) (Module, error) {
	switch component {
	case TextEncoderDir:
		return m.TextEncoder, nil
	case UNetDir:
		return m.UNet, nil
	case VAEDir:
		return m.VAE, nil
	}
	return nil, fmt.Errorf("%q is not a component with weights (want text_encoder, unet or vae)", component)
}

// Components lists the folders that hold weights, in pipeline order.
func Components() []string { return []string{TextEncoderDir, UNetDir, VAEDir} }

// weightBase is the stem of a component's weight files: transformers saves model.safetensors,
// diffusers diffusion_pytorch_model.safetensors.
func weightBase(component string) string {
	if component == TextEncoderDir {
		return "model"
	}
	return "diffusion_pytorch_model"
}

// Weights opens the safetensors file(s) of a component and validates their headers. A
// component is either one <stem>.safetensors or shards listed by <stem>.safetensors.index.json
// (the Hugging Face layout); a plain file named <stem>.fp16.safetensors is accepted when
// neither exists.
func (f *Folder) Weights(component string) (*Weights, error) {
	w, err := openWeights(f.FS, component)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", component, err)
	}
	return w, nil
}

func openWeights(fsys fs.FS, component string) (*Weights, error) {
	base := path.Join(component, weightBase(component))
	single, index := base+".safetensors", base+".safetensors.index.json"
	hasSingle, hasIndex := exists(fsys, single), exists(fsys, index)
	switch {
	case hasSingle && hasIndex:
		return nil, fmt.Errorf("both %s and %s exist; keep one", single, index)
	case hasIndex:
		return openSharded(fsys, index)
	case hasSingle:
	case exists(fsys, base+".fp16.safetensors"):
		single = base + ".fp16.safetensors"
	case exists(fsys, base+".bin"):
		return nil, fmt.Errorf("only %s.bin (a PyTorch pickle) found; this project reads safetensors only", base)
	default:
		return nil, fmt.Errorf("no %s or %s", single, index)
	}
	h, err := parseFileHeader(fsys, single)
	if err != nil {
		return nil, err
	}
	return &Weights{Component: component, Files: []*Header{h}, fsys: fsys}, nil
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// parseFileHeader validates the header of one file of fsys.
func parseFileHeader(fsys fs.FS, name string) (*Header, error) {
	r, size, closeFn, err := openReaderAt(fsys, name)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return ParseHeader(name, r, size)
}

// readerAtFile is what a weight file must offer: random access, so that only the header and
// the tensors asked for are read.
type readerAtFile interface {
	fs.File
	ReadAt(p []byte, off int64) (int, error)
}

func openReaderAt(fsys fs.FS, name string) (readerAtFile, int64, func() error, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s: not a regular file", name)
	}
	ra, ok := f.(readerAtFile)
	if !ok {
		f.Close()
		return nil, 0, nil, errors.New(name + ": file system offers no random access (io.ReaderAt)")
	}
	return ra, st.Size(), f.Close, nil
}
