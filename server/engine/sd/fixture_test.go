package sd

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
	"sync"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/gomlx/gomlx/backends"
)

var (
	// newTestBackend is the backend every test shares: simplego unless $GOMLX_BACKEND says
	// otherwise (the same graphs then run on XLA).
	newTestBackend = sync.OnceValues(NewBackend)
	pipelines      sync.Map // variant dir -> *Pipeline
)

func backend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := newTestBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pipeline loads a fixture model folder once per test binary: its graphs compile once and are
// reused by every test.
func pipeline(t testing.TB, v fixture.Variant) *Pipeline {
	t.Helper()
	if p, ok := pipelines.Load(v.Dir); ok {
		return p.(*Pipeline)
	}
	p, err := Load(v.Dir, backend(t))
	if err != nil {
		t.Fatal(err)
	}
	pipelines.Store(v.Dir, p)
	return p
}

func TestTextEncoderFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			p := pipeline(t, v)
			in := v.Tensor(t, "text_encoder.input_ids")
			ids := make([][]int, in.Shape[0])
			for r := range ids {
				for _, id := range in.I64[r*in.Shape[1] : (r+1)*in.Shape[1]] {
					ids[r] = append(ids[r], int(id))
				}
			}
			got, err := p.TextEncoder.Encode(ids)
			if err != nil {
				t.Fatal(err)
			}
			want := v.Tensor(t, "text_encoder.last_hidden_state")
			fixture.AssertClose(t, "last_hidden_state", got.Data, want.F32, 1e-4)
		})
	}
}

func TestUNetFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		var cases struct {
			UNet struct {
				Timesteps []int `json:"timesteps"`
			} `json:"unet"`
		}
		v.Cases(t, &cases)
		if len(cases.UNet.Timesteps) == 0 {
			t.Fatalf("%s: cases.json lists no unet timesteps", v.Name)
		}
		for _, ts := range cases.UNet.Timesteps {
			t.Run(fmt.Sprintf("%s/t=%d", v.Name, ts), func(t *testing.T) {
				p := pipeline(t, v)
				key := fmt.Sprintf("unet.t%d.", ts)
				sample, text := v.Tensor(t, key+"sample"), v.Tensor(t, key+"encoder_hidden_states")
				got, err := p.UNet.Predict(weights.Tensor{Shape: sample.Shape, Data: sample.F32}, []float32{float32(ts)},
					weights.Tensor{Shape: text.Shape, Data: text.F32}, nil)
				if err != nil {
					t.Fatal(err)
				}
				fixture.AssertClose(t, "unet out", got.Data, v.Tensor(t, key+"out").F32, 1e-4)
			})
		}
	}
}

func TestVAEFixture(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name+"/decode", func(t *testing.T) {
			p := pipeline(t, v)
			lat := v.Tensor(t, "vae.decode.latents")
			got, err := p.VAE.Decode(weights.Tensor{Shape: lat.Shape, Data: lat.F32})
			if err != nil {
				t.Fatal(err)
			}
			fixture.AssertClose(t, "decoded image", got.Data, v.Tensor(t, "vae.decode.out").F32, 1e-4)
		})
		t.Run(v.Name+"/encode", func(t *testing.T) {
			p := pipeline(t, v)
			img := v.Tensor(t, "vae.encode.image")
			mean, logvar, err := p.VAE.Encode(weights.Tensor{Shape: img.Shape, Data: img.F32})
			if err != nil {
				t.Fatal(err)
			}
			fixture.AssertClose(t, "mean", mean.Data, v.Tensor(t, "vae.encode.mean").F32, 1e-4)
			fixture.AssertClose(t, "logvar", logvar.Data, v.Tensor(t, "vae.encode.logvar").F32, 1e-4)
		})
	}
}
