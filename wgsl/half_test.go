package wgsl

import (
	"strings"
	"testing"
)

// TestWithHalf checks that the shader-f16 variants of the families with f16 weights enable f16
// first, bind the weights as array<f16> and unpack no words, with the same bindings and grid, and
// that kernels without f16 weights are unchanged.
func TestWithHalf(t *testing.T) {
	mp := MatMulParams{M: 77, N: 320, K: 768, Batch1: 2, Batch2: 1}
	cp := Conv2DParams{Cin: 8, H: 4, W: 4, Cout: 16, OH: 8, OW: 8, KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1, Batch: 2}
	for _, c := range []struct {
		k Kernel
		p any
	}{
		{MatMul{BF16: true, Bias: true}, mp}, {MatMul{BF16: true, Direct: true}, mp},
		{Conv2D{WF16: true, Residual: true}, cp}, {Conv2D{WF16: true, Direct: true, Upsample: true}, cp},
		{Embed{F16: true}, EmbedParams{Rows: 154, T: 77, D: 32, Vocab: 1000}},
	} {
		h := WithHalf(c.k)
		if h == c.k {
			t.Fatalf("%s %+v: WithHalf returned the same variant", c.k.Family(), c.k)
		}
		src, err := h.Source()
		if err != nil {
			t.Fatalf("%s: %v", c.k.Family(), err)
		}
		if !strings.HasPrefix(src, "enable f16;\n") || !strings.Contains(src, "array<f16>") || strings.Contains(code(src), "unpack2x16float") {
			t.Errorf("%s %+v: the f16 variant does not read WGSL f16:\n%.300s", c.k.Family(), h, src)
		}
		g1, err1 := c.k.Grid(c.p)
		g2, err2 := h.Grid(c.p)
		if err1 != nil || err2 != nil || g1 != g2 || len(c.k.Bindings()) != len(h.Bindings()) {
			t.Errorf("%s: grids %v (%v) and %v (%v), or bindings differ", c.k.Family(), g1, err1, g2, err2)
		}
	}
	for _, k := range []Kernel{MatMul{}, Conv2D{}, Embed{}, Softmax{}} {
		if WithHalf(k) != k {
			t.Errorf("%s without f16 weights changed", k.Family())
		}
		if src, _ := k.Source(); strings.Contains(src, "enable f16") {
			t.Errorf("%s without f16 weights enables f16", k.Family())
		}
	}
}

// code is src without its comments.
func code(src string) string {
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		line, _, _ = strings.Cut(line, "//")
		b.WriteString(line + "\n")
	}
	return b.String()
}
