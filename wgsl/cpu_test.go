package wgsl

import (
	"strings"
	"testing"
)

// TestForCPU checks that the CPU variants of the matrix product and the convolution have no
// workgroup memory and no barrier, that attention's has no indexed private arrays, that they keep
// the family's grid and bindings, and that other kernels are unchanged.
func TestForCPU(t *testing.T) {
	mm := MatMul{BF16: true, Bias: true, Residual: true, Act: ActGELU}
	mp := MatMulParams{M: 77, N: 320, K: 768, Batch1: 2, Batch2: 1}
	cv := Conv2D{WF16: true, Bias2: true, Upsample: true, Small: true}
	cp := Conv2DParams{Cin: 8, H: 4, W: 4, Cout: 16, OH: 8, OW: 8, KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1, Batch: 2}
	for _, c := range []struct {
		k Kernel
		p any
	}{{mm, mp}, {cv, cp}} {
		d := ForCPU(c.k)
		if d == c.k {
			t.Fatalf("%s: ForCPU returned the same variant", c.k.Family())
		}
		for name, k := range map[string]Kernel{"tiled": c.k, "direct": d} {
			src, err := k.Source()
			if err != nil {
				t.Fatalf("%s %s: %v", c.k.Family(), name, err)
			}
			shared := strings.Contains(src, "var<workgroup>") || strings.Contains(src, "workgroupBarrier")
			if shared != (name == "tiled") {
				t.Errorf("%s %s: workgroup memory or barrier present = %v", c.k.Family(), name, shared)
			}
		}
		g1, err1 := c.k.Grid(c.p)
		g2, err2 := d.Grid(c.p)
		if err1 != nil || err2 != nil || g1 != g2 {
			t.Errorf("%s: grids %v (%v) and %v (%v)", c.k.Family(), g1, err1, g2, err2)
		}
		if len(c.k.Bindings()) != len(d.Bindings()) {
			t.Errorf("%s: bindings differ", c.k.Family())
		}
	}
	// Attention keeps its staging (its keys are shared by the workgroup's 64 queries) but no
	// indexed row or score array, for heads up to MaxUnrolledHeadDim.
	for _, dh := range []int{8, 24, 64, 160} {
		at, err := NewAttention(dh, false, true)
		if err != nil {
			t.Fatal(err)
		}
		src, err := ForCPU(at).Source()
		if err != nil {
			t.Fatalf("attention dh=%d: %v", dh, err)
		}
		indexed := strings.Contains(src, "var qr: array") || strings.Contains(src, "var s: array")
		if indexed != (dh > MaxUnrolledHeadDim) {
			t.Errorf("attention dh=%d: indexed private arrays present = %v", dh, indexed)
		}
		p := AttentionParams{Heads: 2, Tq: 100, Tk: 77, Dh: uint32(dh), Batch: 2}
		g1, err1 := at.Grid(p)
		g2, err2 := ForCPU(at).Grid(p)
		if err1 != nil || err2 != nil || g1 != g2 {
			t.Errorf("attention dh=%d: grids %v (%v) and %v (%v)", dh, g1, err1, g2, err2)
		}
	}
	if sm := (Softmax{}); ForCPU(sm) != Kernel(sm) {
		t.Errorf("softmax changed")
	}
}
