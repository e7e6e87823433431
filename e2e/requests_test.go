package e2e

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// The harness requests the component fixtures ask for, built from a variant's tensors: every
// test of a component (f32 and f16 weights, in Chromium or under Deno) sends the same ones.

// textEncoderRequest is the fixture's token ids, a row per prompt.
func textEncoderRequest(t *testing.T, v fixture.Variant) map[string]any {
	t.Helper()
	ids := v.Tensor(t, "text_encoder.input_ids")
	rows := make([][]int, ids.Shape[0])
	for i := range rows {
		for _, id := range ids.I64[i*ids.Shape[1] : (i+1)*ids.Shape[1]] {
			rows[i] = append(rows[i], int(id))
		}
	}
	return map[string]any{"IDs": rows}
}

// unetKey is the fixture key of the UNet case at timestep ts.
func unetKey(ts float64) string { return fmt.Sprintf("unet.t%g", ts) }

// unetRequest is the UNet case at timestep ts: its sample, context and timestep.
func unetRequest(t *testing.T, v fixture.Variant, ts float64) map[string]any {
	t.Helper()
	key := unetKey(ts)
	sample := v.Tensor(t, key+".sample")
	return map[string]any{"Batch": sample.Shape[0], "H": sample.Shape[2], "W": sample.Shape[3],
		"Sample": f32(sample.F32), "Context": f32(v.Tensor(t, key+".encoder_hidden_states").F32), "Timestep": ts}
}

// decodeRequest is the VAE decode case's latents.
func decodeRequest(t *testing.T, v fixture.Variant) map[string]any {
	t.Helper()
	lat := v.Tensor(t, "vae.decode.latents")
	return map[string]any{"Latents": f32(lat.F32), "H": lat.Shape[2], "W": lat.Shape[3]}
}
