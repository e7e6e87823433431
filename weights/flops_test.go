package weights

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// unetFLOPsFromParams recounts the UNet's matrix-product FLOPs another way: every conv and
// linear weight of the parameter list does 2·(weight elements) FLOPs per position it is applied
// at, and the position count follows from the parameter's name (its block's level, or the text
// length for attn2's keys and values, or one per item for time embeddings).
func unetFLOPsFromParams(t *testing.T, d *UNet, h, w, textLen int) float64 {
	levels := len(d.Config.BlockOutChannels)
	pixels := func(l int) float64 { return float64((h >> l) * (w >> l)) }
	level := func(name string) int {
		parts := strings.Split(name, ".")
		idx := func() int {
			i, err := strconv.Atoi(parts[1])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return i
		}
		switch parts[0] {
		case "down_blocks":
			if parts[2] == "downsamplers" {
				return idx() + 1
			}
			return idx()
		case "up_blocks":
			if parts[2] == "upsamplers" {
				return levels - 2 - idx()
			}
			return levels - 1 - idx()
		case "mid_block":
			return levels - 1
		}
		return 0
	}
	total := 0.0
	for _, p := range d.Params() {
		if !strings.HasSuffix(p.Name, ".weight") || len(p.Shape) < 2 {
			continue // biases and norm weights
		}
		n := float64(p.NumElements())
		switch {
		case strings.Contains(p.Name, "time_emb") || strings.HasPrefix(p.Name, "time_embedding"):
			total += 2 * n
		case strings.Contains(p.Name, "attn2.to_k") || strings.Contains(p.Name, "attn2.to_v"):
			total += 2 * n * float64(textLen)
		default:
			total += 2 * n * pixels(level(p.Name))
		}
	}
	// Attention products: Q·Kᵀ and ·V, self (N×N) and cross (N×text) per transformer.
	for _, tr := range d.Transformers() {
		n := pixels(level(tr.Name))
		c := float64(tr.Inner)
		total += 4*n*n*c + 4*n*float64(textLen)*c
	}
	return total
}

func TestUNetFLOPsAgreeWithParameterCount(t *testing.T) {
	dirs := []string{fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"), fixture.External(t, "sd21-configs/stable-diffusion-2-1")}
	for _, v := range fixture.Variants(t) {
		dirs = append(dirs, v.Dir)
	}
	for _, dir := range dirs {
		f, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.Describe()
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{16, 64, 96} {
			t.Run(fmt.Sprintf("%s/latent=%d", dir[strings.LastIndex(dir, "/")+1:], size), func(t *testing.T) {
				got := m.UNet.FLOPs(1, size, size, 77)
				want := unetFLOPsFromParams(t, m.UNet, size, size, 77)
				if math.Abs(got.Total()-want) > 1e-9*want {
					t.Fatalf("walk counts %.6g FLOPs (%+v), parameter count %.6g", got.Total(), got, want)
				}
				if b2 := m.UNet.FLOPs(2, size, size, 77); b2.Total() != 2*got.Total() {
					t.Fatalf("batch 2 counts %.6g, not twice %.6g", b2.Total(), got.Total())
				}
			})
		}
	}
}

// The SD 2.1-base figures at 512x512, for the record (and a check against the usual published
// orders of magnitude: ~0.4 TMAC per UNet evaluation, ~1.2 TMAC per VAE decode).
func TestSD21BaseFLOPs(t *testing.T) {
	f, err := Open(fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Describe()
	if err != nil {
		t.Fatal(err)
	}
	u, v, te := m.UNet.FLOPs(1, 64, 64, 77), m.VAE.DecodeFLOPs(1, 64, 64), m.TextEncoder.FLOPs(1, 77)
	t.Logf("SD 2.1-base 512x512: UNet %.1f GFLOP (%+v), VAE decode %.1f GFLOP, text encoder %.1f GFLOP", u.Total()/1e9, u, v.Total()/1e9, te.Total()/1e9)
	for _, c := range []struct {
		what    string
		got, lo float64
		hi      float64
	}{{"unet", u.Total(), 0.7e12, 0.9e12}, {"vae decode", v.Total(), 2.2e12, 2.8e12}, {"text encoder", te.Total(), 40e9, 50e9}} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: %.4g FLOPs outside [%.2g, %.2g]", c.what, c.got, c.lo, c.hi)
		}
	}
}
