package weights

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// walkModels describes every fixture model and the real SD 2.1 configs.
func walkModels(t *testing.T) map[string]*Model {
	t.Helper()
	dirs := map[string]string{
		"sd21base-config": fixture.External(t, "sd21-configs/stable-diffusion-2-1-base"),
		"sd21-config":     fixture.External(t, "sd21-configs/stable-diffusion-2-1"),
	}
	for _, v := range fixture.Variants(t) {
		dirs[v.Name] = v.Dir
	}
	out := map[string]*Model{}
	for name, dir := range dirs {
		f, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.Describe()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	return out
}

// wiring is a Visitor whose values are channel counts: it checks that every layer receives the
// channels its description takes (skips included), and notes the parameters of every layer in
// the order it visits them.
type wiring struct {
	t      *testing.T
	params []Param
}

func (w *wiring) want(what string, got, want int) {
	if got != want {
		w.t.Errorf("%s receives %d channels, takes %d", what, got, want)
	}
}

func (w *wiring) Conv(x int, c Conv2D, _ Grid) int {
	w.want(c.Name, x, c.In)
	w.params = append(w.params, c.Params()...)
	return c.Out
}

func (w *wiring) Upsample(x int, c Conv2D, out Grid) int { return w.Conv(x, c, out) }

func (w *wiring) Resnet(x int, r ResnetBlock, _ Grid) int {
	w.want(r.Name, x, r.In)
	w.params = append(w.params, r.Params()...)
	return r.Out
}

func (w *wiring) Concat(h, skip int, r ResnetBlock, _ Grid) int {
	w.want(r.Name+"'s skip", skip, r.Skip)
	return h + skip
}

func (w *wiring) Transformer(x int, tr Transformer2D, _ Grid) int {
	w.want(tr.Name, x, tr.Channels)
	w.params = append(w.params, tr.Params()...)
	return x
}

func (w *wiring) VAEAttention(x int, a VAEAttention, _ Grid) int {
	w.want(a.Name, x, a.Norm.Channels)
	w.params = append(w.params, a.Params()...)
	return x
}

func (w *wiring) NormAct(x int, n GroupNorm, _ Grid) int {
	w.want(n.Name, x, n.Channels)
	w.params = append(w.params, n.Params()...)
	return x
}

func names(ps []Param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// TestWalksVisitEveryLayerOnce checks the walks against the descriptions: each layer gets the
// channels it takes, every skip is consumed by the resnet sized for it, and the walks visit
// every parameter exactly once, in Params order (less the UNet's time embedding, which the
// visitors compute before the walk, and quant_conv, which the encoder's caller applies).
func TestWalksVisitEveryLayerOnce(t *testing.T) {
	for name, m := range walkModels(t) {
		t.Run(name, func(t *testing.T) {
			u := &wiring{t: t}
			if out := WalkUNet(m.UNet, m.UNet.Config.InChannels, Grid{H: 8, W: 8}, u); out != m.UNet.Config.OutChannels {
				t.Errorf("unet gives %d channels", out)
			}
			want := slices.DeleteFunc(names(m.UNet.Params()), func(n string) bool { return strings.HasPrefix(n, "time_embedding.") })
			if got := names(u.params); !slices.Equal(got, want) {
				t.Errorf("unet walk visits %d parameters, Params lists %d (first %v)", len(got), len(want), got[:min(4, len(got))])
			}
			e := &wiring{t: t}
			if out := WalkVAEEncoder(m.VAE, m.VAE.Config.InChannels, Grid{H: 16, W: 16}, e); out != 2*m.VAE.LatentChannels {
				t.Errorf("encoder gives %d channels", out)
			}
			if got, want := names(e.params), names(m.VAE.Encoder.Params()); !slices.Equal(got, want) {
				t.Errorf("encoder walk visits %d parameters, Params lists %d", len(got), len(want))
			}
			d := &wiring{t: t}
			if out := WalkVAEDecoder(m.VAE, m.VAE.LatentChannels, Grid{H: 2, W: 2}, d); out != m.VAE.Config.OutChannels {
				t.Errorf("decoder gives %d channels", out)
			}
			if got, want := names(d.params), names(collect(m.VAE.PostQuantConv, m.VAE.Decoder)); !slices.Equal(got, want) {
				t.Errorf("decoder walk visits %d parameters, Params lists %d", len(got), len(want))
			}
		})
	}
}

// TestCrossAttentionGrids checks the grids against the transformers' order and the usual Stable
// Diffusion levels.
func TestCrossAttentionGrids(t *testing.T) {
	u := walkModels(t)["sd21base-config"].UNet
	grids := u.CrossAttentionGrids(64, 96)
	trs := u.Transformers()
	if len(grids) != len(trs) {
		t.Fatalf("%d grids for %d transformers", len(grids), len(trs))
	}
	for i, g := range grids {
		if g.Name != trs[i].Name {
			t.Errorf("grid %d is %s, transformer %s", i, g.Name, trs[i].Name)
		}
	}
	if g := grids[0]; g.Height != 64 || g.Width != 96 {
		t.Errorf("first grid %dx%d", g.Width, g.Height)
	}
	for _, c := range []struct {
		h, w int
		want []int
	}{
		{64, 64, []int{4096, 1024, 256, 64}},
		{64, 96, []int{6144, 1536, 384, 96}},
	} {
		if got := u.QueryLengths(c.h, c.w); !slices.Equal(got, c.want) {
			t.Errorf("%dx%d: query lengths %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

// TestWalkBlockGrid checks WalkBlock's grid: a downsampling block halves it as its convolution
// does (padded 1 on each side it rounds up; the VAE's, padded on the bottom and right only,
// rounds down), an upsampling one doubles it.
func TestWalkBlockGrid(t *testing.T) {
	m := walkModels(t)["sd21base-config"]
	var none Ignore[struct{}]
	for _, c := range []struct {
		blk     Block
		in, out Grid
	}{
		{m.UNet.Down[0], Grid{H: 7, W: 10}, Grid{H: 4, W: 5}},
		{m.UNet.Down[len(m.UNet.Down)-1], Grid{H: 7, W: 10}, Grid{H: 7, W: 10}},
		{m.VAE.Encoder.Down[0], Grid{H: 7, W: 10}, Grid{H: 3, W: 5}},
		{m.VAE.Decoder.Up[0], Grid{H: 7, W: 10}, Grid{H: 14, W: 20}},
	} {
		if _, got := WalkBlock(c.blk, struct{}{}, c.in, none); got != c.out {
			t.Errorf("%s: %v -> %v, want %v", c.blk.Name, c.in, got, c.out)
		}
	}
	if s := fmt.Sprint(m.UNet.SkipChannels()); s != "[320 320 320 320 640 640 640 1280 1280 1280 1280 1280]" {
		t.Errorf("sd 2.1-base skips %s", s)
	}
}
