//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/cones/request"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/offline"
	"github.com/cones2web/cones2/weights"
)

// modelState is what the page knows about the served model, before and after the engine loads it.
type modelState struct {
	manifestBytes []byte
	manifest      *weights.Manifest
	files         []offline.File
	cacheName     string
	saved         bool // a complete, verified offline copy exists

	folder      *weights.Folder
	desc        *weights.Model // the networks' description, for the GPU memory plan
	family      string         // residual compatibility, from the text encoder config
	fingerprint string         // the text encoder's weights, as residual files record them
	width       int            // text embedding width = residual length

	gpu     *gpuFacts
	info    ModelInfo // from the engine once loaded
	loading bool
}

// fresh says whether the model's files must come from the server: until this manifest's copy
// is saved, a saved copy in the browser is another model's (the server's model changed).
func (m *modelState) fresh() bool { return m.manifest != nil && !m.saved }

// configFiles are the small files that describe the model (read before any weight).
var configFiles = []string{
	"model_index.json", "text_encoder/config.json", "unet/config.json", "vae/config.json",
	"scheduler/scheduler_config.json",
}

// optionalConfigFiles describe the model too, but a folder may lack them: the model's
// recommended settings and example (a Stable Diffusion checkpoint has none and gets the
// official ones). They are read only when the manifest lists them, so no request is made for
// a file the server does not have.
var optionalConfigFiles = []string{weights.RecommendedName}

// identityFiles are the config files to read: every required one, and the optional ones the
// manifest lists.
func (m *modelState) identityFiles() []string {
	out := slices.Clone(configFiles)
	for _, name := range optionalConfigFiles {
		if _, ok := m.manifest.File(name); ok {
			out = append(out, name)
		}
	}
	return out
}

// fetchConfig reads one small file of the model and checks it against the manifest's size and
// SHA-256: the settings that start the form and the configs that shape the engine are the
// files the manifest describes, not whatever a cache or proxy handed back.
func (m *modelState) fetchConfig(ctx context.Context, name string) ([]byte, error) {
	b, err := fetchBytes(ctx, offline.ModelBase+name, 1<<20, m.fresh())
	if err != nil {
		return nil, err
	}
	if f, ok := m.manifest.File(name); ok {
		v := offline.NewVerifier(offline.File{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
		if _, err := v.Write(b); err != nil {
			return nil, err
		}
		if err := v.Check(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// manifestPaths are the files the manifest lists, the only ones the engine may ask for: it
// then never probes the server for files the manifest already rules out (the sharded
// .index.json variants, an absent cones.json), each of which would be a 404 in the console.
// Nil without a manifest: the engine then looks for itself.
func (m *modelState) manifestPaths() []string {
	if m.manifest == nil {
		return nil
	}
	out := make([]string, len(m.manifest.Files))
	for i, f := range m.manifest.Files {
		out[i] = f.Path
	}
	return out
}

// examplePhrases are the subject phrases of the model's example prompt ("red circle"), which
// the layout's word lists offer whole; none until the model's configs are read.
func (m *modelState) examplePhrases() []string {
	if m.folder == nil {
		return nil
	}
	return m.folder.Recommended.Example.Subjects
}

// readManifest fetches and parses the model's manifest.json.
func (a *app) readManifest(ctx context.Context) error {
	b, err := fetchBytes(ctx, offline.ManifestURL, 64<<20, false)
	if err != nil {
		return err
	}
	m, err := weights.ParseManifest(b)
	if err != nil {
		return err
	}
	a.model.manifestBytes, a.model.manifest = b, m
	a.model.cacheName = offline.CacheName(b)
	a.model.files = a.model.files[:0]
	for _, f := range m.Files {
		a.model.files = append(a.model.files, offline.File{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
	}
	return nil
}

// readIdentity parses the configs and computes the text encoder's family and fingerprint, the
// two things a residual file must match. The fingerprint reads a few small tensor prefixes with
// Range requests, planned from the manifest's tensor table.
func (a *app) readIdentity(ctx context.Context) error {
	files := memFS{}
	for _, name := range a.model.identityFiles() {
		b, err := a.model.fetchConfig(ctx, name)
		if err != nil {
			return err
		}
		files[name] = b
	}
	// OpenFS parses cones.json when it is among the files (weights.ParseRecommended) and takes
	// the official settings when it is not.
	folder, err := weights.OpenFS(files)
	if err != nil {
		return fmt.Errorf("model configs: %w", err)
	}
	model, err := folder.Describe()
	if err != nil {
		return fmt.Errorf("model configs: %w", err)
	}
	headers, err := a.model.manifest.Weights(weights.TextEncoderDir)
	if err != nil {
		return err
	}
	binding, err := weights.Bind(model.TextEncoder, headers)
	if err != nil {
		return fmt.Errorf("text encoder: %w", err)
	}
	fp, err := weights.TextEncoderFingerprint(model.TextEncoder, rangeReader(ctx, binding, a.model.fresh()))
	if err != nil {
		return fmt.Errorf("text encoder: %w", err)
	}
	a.model.folder, a.model.desc = folder, model
	a.model.family = weights.ModelFamily(folder.TextEncoder)
	a.model.fingerprint = fp
	a.model.width = folder.TextEncoder.HiddenSize
	return nil
}

// rangeReader reads the first values of a bound parameter with one Range request each.
func rangeReader(ctx context.Context, b *weights.Binding, network bool) weights.TensorReader {
	return weights.BindingReader(b, func(file string, off, n int64) ([]byte, error) {
		return fetchRange(ctx, offline.ModelBase+file, off, n, network)
	})
}

// fetchRange GETs n bytes at off of a same-origin file (the service worker answers from the
// saved copy when there is one).
func fetchRange(ctx context.Context, url string, off, n int64, network bool) ([]byte, error) {
	resp, err := await(ctx, js.Global().Call("fetch", url, fetchOptions(network, fmt.Sprintf("bytes=%d-%d", off, off+n-1))))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	status := resp.Get("status").Int()
	if status != 206 && status != 200 {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, status)
	}
	buf, err := await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	b := bytesOf(buf)
	if status == 200 { // a server that ignores ranges sends the whole file
		if int64(len(b)) < off+n {
			return nil, fmt.Errorf("fetch %s: %d bytes, want %d at %d", url, len(b), n, off)
		}
		b = b[off : off+n]
	}
	if int64(len(b)) != n {
		return nil, fmt.Errorf("fetch %s: %d bytes, want %d", url, len(b), n)
	}
	return b, nil
}

// modelSummary names the model for people: pipeline class, family, text width and native size.
func (m *modelState) modelSummary() string {
	r, ok := m.sizes()
	if m.folder == nil || !ok {
		return "–"
	}
	f := m.folder
	return fmt.Sprintf("%s · %s text encoder (%d wide) · %d px · fingerprint %s",
		f.Index.ClassName, m.family, f.TextEncoder.HiddenSize, r.NativeSize(), m.fingerprint)
}

// sizes is the model as the shared request builder sees its image sizes (NativeSize, SizeStep);
// ok is false until the model's configs are read.
func (m *modelState) sizes() (request.Model, bool) {
	return request.Model{Networks: m.desc}, m.desc != nil
}

// sizeStep is the granularity of the model's image sizes (64 for Stable Diffusion; 8 for the
// default shapes model); before a model is read, Stable Diffusion's.
func (m *modelState) sizeStep() int {
	if r, ok := m.sizes(); ok {
		return r.SizeStep()
	}
	return settings.SizeStep
}

// uploadTotals are the bytes of weights the engine uploads per component, from the manifest's
// tensor table: all of the text encoder and the UNet, the VAE's decoder side only (generation
// never encodes an image).
func (m *modelState) uploadTotals() map[string]int64 {
	out := map[string]int64{}
	if m.manifest == nil {
		return out
	}
	for _, f := range m.manifest.Files {
		comp, _, _ := strings.Cut(f.Path, "/")
		for _, t := range f.Tensors {
			if comp == weights.VAEDir && !strings.HasPrefix(t.Name, "decoder.") && !strings.HasPrefix(t.Name, "post_quant_conv.") {
				continue
			}
			out[comp] += t.Range[1] - t.Range[0]
		}
	}
	return out
}

func (m *modelState) totalBytes() int64 {
	var n int64
	for _, f := range m.files {
		n += f.Size
	}
	return n
}
