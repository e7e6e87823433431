package sd

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Pipeline is a diffusers model folder loaded on a backend: the model description, every
// network's weights as variables of one GoMLX context (scoped per network, see TextEncoderScope)
// and the three networks, each compiling its graphs on first use and reusing them.
type Pipeline struct {
	Folder      *weights.Folder
	Model       *weights.Model
	Backend     backends.Backend
	Context     *context.Context
	TextEncoder *TextEncoder
	UNet        *UNet
	VAE         *VAE
	// Family and Fingerprint identify the text encoder (weights.ModelFamily and
	// weights.TextEncoderFingerprint), as residual files record the model they were made for.
	Family, Fingerprint string
}

// Load opens the diffusers folder dir, describes its networks from their configs and loads their
// weights strictly (a missing, unused or mis-shaped tensor is an error naming it) as float32.
func Load(dir string, backend backends.Backend) (*Pipeline, error) {
	f, err := weights.Open(dir)
	if err != nil {
		return nil, err
	}
	m, err := f.Describe()
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", dir, err)
	}
	p := &Pipeline{Folder: f, Model: m, Backend: backend, Context: context.New()}
	for _, c := range []struct {
		component, scope string
		module           weights.Module
	}{
		{weights.TextEncoderDir, TextEncoderScope, m.TextEncoder},
		{weights.UNetDir, UNetScope, m.UNet},
		{weights.VAEDir, VAEScope, m.VAE},
	} {
		w, err := f.Weights(c.component)
		if err != nil {
			return nil, fmt.Errorf("model folder %s: %w", dir, err)
		}
		loaded, err := w.LoadFloat32(c.module)
		if err != nil {
			return nil, fmt.Errorf("model folder %s: %w", dir, err)
		}
		if err := addVariables(p.Context, c.scope, loaded); err != nil {
			return nil, fmt.Errorf("model folder %s: %s: %w", dir, c.component, err)
		}
		if c.component == weights.TextEncoderDir {
			p.Family = weights.ModelFamily(f.TextEncoder)
			if p.Fingerprint, err = weights.TextEncoderFingerprint(m.TextEncoder, weights.MapReader(loaded)); err != nil {
				return nil, fmt.Errorf("model folder %s: %w", dir, err)
			}
		}
	}
	p.TextEncoder = &TextEncoder{Desc: m.TextEncoder, exec: newExecutor(backend, p.Context)}
	p.UNet = &UNet{Desc: m.UNet, exec: newExecutor(backend, p.Context)}
	p.VAE = &VAE{Desc: m.VAE, exec: newExecutor(backend, p.Context)}
	return p, nil
}
