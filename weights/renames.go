package weights

import "strings"

// vaeAttentionRenames is the one table of tensor renames. diffusers before 0.14 (and the real
// SD 1.5 / 2.x checkpoints) name the VAE's mid-block attention projections query, key, value
// and proj_attn; later versions save them as to_q, to_k, to_v and to_out.0. The description
// uses the older names, which are also what diffusers 0.13 builds, and accepts either.
var vaeAttentionRenames = []struct{ Old, New string }{
	{"query", "to_q"},
	{"key", "to_k"},
	{"value", "to_v"},
	{"proj_attn", "to_out.0"},
}

// vaeAttentionAliases returns the newer spelling of a VAE attention parameter name such as
// "decoder.mid_block.attentions.0.query.weight", or nil if the table has no entry for it.
func vaeAttentionAliases(name string) []string {
	for _, r := range vaeAttentionRenames {
		for _, leaf := range []string{".weight", ".bias"} {
			if prefix, ok := strings.CutSuffix(name, "."+r.Old+leaf); ok {
				return []string{prefix + "." + r.New + leaf}
			}
		}
	}
	return nil
}
