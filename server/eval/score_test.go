package eval

import (
	"fmt"
	"testing"

	"github.com/cones2web/cones2/server/shapes"
)

// picture renders a hand-made scene at size.
func picture(sc shapes.Scene, size int) Picture {
	return Picture{W: size, H: size, RGB: sc.Render(size)}
}

func boxOf(s shapes.Shape) Box { return Box(s.Box()) }

func TestLabelsRenderedScenes(t *testing.T) {
	for _, size := range []int{32, 64} {
		for _, k := range shapes.Kinds() {
			for _, c := range []int{shapes.Red, shapes.Cyan, shapes.Purple} {
				t.Run(fmt.Sprintf("size=%d,%s,%s", size, shapes.Palette()[c].Name, k), func(t *testing.T) {
					sh := shapes.Shape{Kind: k, Colour: c, X0: 0.3, Y0: 0.25, Side: 0.45}
					l, err := Label(picture(shapes.Scene{Background: 2, Shapes: []shapes.Shape{sh}}, size))
					if err != nil {
						t.Fatal(err)
					}
					if got, share := l.Dominant(boxOf(sh)); got != c {
						t.Errorf("dominant colour %d (share %.2f), want %d", got, share, c)
					}
					regions := l.Regions(c, Whole())
					if len(regions) == 0 {
						t.Fatal("no region of the shape's colour")
					}
					kind, iou, ok := regions[0].Kind(l)
					if !ok || kind != k || iou < 0.85 {
						t.Errorf("kind %s (iou %.2f, ok %v), want %s", kind, iou, ok, k)
					}
					// Outside the shape's box the picture is background.
					if got, _ := l.Dominant(Box{0, 0, 0.25, 0.2}); got != -1 {
						t.Errorf("corner dominated by colour %d, want none", got)
					}
				})
			}
		}
	}
}

func TestDominantPicksLargerColour(t *testing.T) {
	// Two shapes in one box: the larger one dominates; each dominates its own box.
	big := shapes.Shape{Kind: shapes.Square, Colour: shapes.Blue, X0: 0.05, Y0: 0.05, Side: 0.5}
	small := shapes.Shape{Kind: shapes.Circle, Colour: shapes.Yellow, X0: 0.65, Y0: 0.65, Side: 0.3}
	l, err := Label(picture(shapes.Scene{Background: 0, Shapes: []shapes.Shape{big, small}}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := l.Dominant(Whole()); c != shapes.Blue {
		t.Errorf("whole picture dominated by %d, want blue", c)
	}
	if c, _ := l.Dominant(boxOf(small)); c != shapes.Yellow {
		t.Errorf("small box dominated by %d, want yellow", c)
	}
	if s := l.Share(boxOf(big), shapes.Yellow); s != 0 {
		t.Errorf("yellow covers %.2f of the blue box", s)
	}
}

func TestLabelUnknownAndErrors(t *testing.T) {
	// A grey between the backgrounds' and a colour far from all is unknown; a bad size fails.
	p := Picture{W: 2, H: 1, RGB: []uint8{120, 0, 120, 214, 39, 40}}
	l, err := Label(p)
	if err != nil {
		t.Fatal(err)
	}
	if l.L[0] != Unknown || l.L[1] != shapes.Red {
		t.Errorf("labels %v, want [unknown red]", l.L)
	}
	if _, err := Label(Picture{W: 2, H: 2, RGB: make([]uint8, 5)}); err == nil {
		t.Error("a short picture was accepted")
	}
}

func TestSmallRegionHasNoKind(t *testing.T) {
	sh := shapes.Shape{Kind: shapes.Square, Colour: shapes.Green, X0: 0.5, Y0: 0.5, Side: 0.08}
	l, err := Label(picture(shapes.Scene{Shapes: []shapes.Shape{sh}}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Regions(shapes.Green, Whole()) {
		if _, _, ok := r.Kind(l); ok {
			t.Errorf("a %d-pixel region was classified", r.Pixels)
		}
	}
}
